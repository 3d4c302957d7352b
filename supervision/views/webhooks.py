"""The office's outbound webhooks (Webhook 推送), under its settings: /office/webhooks/.

The office of a region (and a superuser) lists the endpoints of its region, adds one (its secret is
generated and shown on this page only, to the offices that keep it), turns one off or on, gives it a
new secret, or removes it. Anyone else gets 403; an endpoint outside the office's region is a 404.
Its deliveries, failed ones included, are on the deliveries page (发送记录) with the robots'.
"""

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tasks.views.office import office_required

from .. import channels, selectors, services
from ..forms import WebhookForm
from ..models import WebhookEventType


def _page(request, form, status=200):
    labels = dict(WebhookEventType.choices)
    endpoints = [
        {
            "endpoint": endpoint,
            "address": channels.mask_address("webhook", endpoint.url),
            "events": [labels.get(event, event) for event in endpoint.events],
        }
        for endpoint in selectors.webhooks_for(request.user)
    ]
    return render(
        request,
        "supervision/office_webhooks.html",
        {"endpoints": endpoints, "form": form, "nav_section": "office"},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@office_required
def office_webhooks(request):
    form = WebhookForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.webhook_create(by=request.user, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as error:
                form.add_service_error(error)
            else:
                flash.success(request, _("Webhook 地址已添加。请把签名密钥交给接收方。"))
                return redirect("office-webhooks")
        return _page(request, form, status=400)
    return _page(request, form)


def _endpoint(request, pk):
    return get_object_or_404(selectors.webhooks_for(request.user), pk=pk)


@require_POST
@office_required
def office_webhook_toggle(request, pk):
    endpoint = _endpoint(request, pk)
    endpoint = services.webhook_update(endpoint=endpoint, by=request.user, enabled=not endpoint.enabled)
    flash.success(request, _("Webhook 已启用。") if endpoint.enabled else _("Webhook 已停用。"))
    return redirect("office-webhooks")


@require_POST
@office_required
def office_webhook_rotate(request, pk):
    services.webhook_rotate_secret(endpoint=_endpoint(request, pk), by=request.user)
    flash.success(request, _("已生成新的签名密钥。"))
    return redirect("office-webhooks")


@require_POST
@office_required
def office_webhook_delete(request, pk):
    services.webhook_delete(endpoint=_endpoint(request, pk), by=request.user)
    flash.success(request, _("Webhook 地址已删除。"))
    return redirect("office-webhooks")


urlpatterns = [
    path("office/webhooks/", office_webhooks, name="office-webhooks"),
    path("office/webhooks/<int:pk>/toggle/", office_webhook_toggle, name="office-webhook-toggle"),
    path("office/webhooks/<int:pk>/rotate/", office_webhook_rotate, name="office-webhook-rotate"),
    path("office/webhooks/<int:pk>/delete/", office_webhook_delete, name="office-webhook-delete"),
]
