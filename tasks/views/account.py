"""Account pages (stub: replaced by the account work)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path


@login_required
def stub(request):
    return HttpResponse("")


urlpatterns = [
    path("account/password/", stub, name="password-change"),
    path("account/tokens/", stub, name="account-tokens"),
    path("audit/", stub, name="audit-log"),
]
