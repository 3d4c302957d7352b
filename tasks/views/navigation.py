"""The campaign switcher. (The inbox the bell links to is supervision/views/notifications.py.)"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ..selectors import campaigns_visible_to
from .common import SESSION_CAMPAIGN


@require_POST
@login_required
def campaign_switch(request):
    campaign = campaigns_visible_to(request.user).filter(pk=request.POST.get("campaign") or 0).first()
    if campaign is not None:
        request.session[SESSION_CAMPAIGN] = campaign.pk
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)


urlpatterns = [
    path("campaign/", campaign_switch, name="campaign-switch"),
]
