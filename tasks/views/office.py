"""The supervision office's back office inside the app (stub: replaced by the office work)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path


@login_required
def stub(request):
    return HttpResponse("")


urlpatterns = [path("office/tasks/new/", stub, name="office-task-create")]
