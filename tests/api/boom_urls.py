"""The project's URLs plus a page and an API view that fail, to see what a 500 looks like."""

from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny

from winteraction.urls import handler404, handler500  # noqa: F401
from winteraction.urls import urlpatterns as project_urlpatterns


class Boom(Exception):
    pass


def page_boom(request):
    raise Boom("a bug in a page")


@api_view(["GET"])
@permission_classes([AllowAny])
def api_boom(request):
    raise Boom("a bug in the API")


urlpatterns = [path("boom/", page_boom), path("api/v1/boom/", api_boom), *project_urlpatterns]
