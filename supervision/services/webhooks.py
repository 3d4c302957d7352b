"""The office's outbound webhook endpoints (Webhook 推送): an integrator's HTTPS address for some of
the region's events, signed with a secret the app generates (docs/webhooks.md)."""

import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tasks.models import Person, Role
from tasks.selectors import access_for

from .. import channels, webhooks
from ..models import WebhookEndpoint


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def _office_region(by: Person):
    """The region of the office acting; only a region's office keeps its webhooks."""
    region = access_for(by).region
    if getattr(by, "role", None) != Role.OFFICE or region is None:
        raise PermissionDenied(_("只有督查室可以设置 Webhook 推送。"))
    return region


def _require_keeper(by: Person, endpoint: WebhookEndpoint) -> None:
    region = _office_region(by)
    if not endpoint.region.path.startswith(region.path):
        raise PermissionDenied(_("只有本地区的督查室可以设置 Webhook 推送。"))


def _checked_events(events) -> list[str]:
    chosen = webhooks.subscribable(events or ())
    if not chosen or len(chosen) != len(set(events)):
        raise ValidationError({"events": _("请至少选择一个有效的事件。")})
    return chosen


def _checked_url(url: str) -> str:
    try:
        return channels.check_webhook_url(url)
    except ValidationError as exc:
        raise ValidationError({"url": exc.messages}) from None


@transaction.atomic
def webhook_create(*, by: Person, url: str, events, enabled: bool = True) -> WebhookEndpoint:
    """Register an endpoint for the office's region; its secret is generated here."""
    region = _office_region(by)
    url = _checked_url(url)
    if WebhookEndpoint.objects.filter(region=region, url=url).exists():
        raise ValidationError({"url": _("本地区已有相同的 Webhook 地址。")})
    endpoint = WebhookEndpoint(
        region=region,
        url=url,
        secret=new_secret(),
        events=_checked_events(events),
        enabled=enabled,
        created_by=by,
    )
    endpoint.full_clean()
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_update(
    *, endpoint: WebhookEndpoint, by: Person, url: str | None = None, events=None, enabled: bool | None = None
) -> WebhookEndpoint:
    """Change an endpoint's address, events or enabled flag (deliveries already made keep theirs)."""
    _require_keeper(by, endpoint)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if url is not None:
        endpoint.url = _checked_url(url)
        duplicate = WebhookEndpoint.objects.filter(region=endpoint.region_id, url=endpoint.url)
        if duplicate.exclude(pk=endpoint.pk).exists():
            raise ValidationError({"url": _("本地区已有相同的 Webhook 地址。")})
    if events is not None:
        endpoint.events = _checked_events(events)
    if enabled is not None:
        endpoint.enabled = enabled
    endpoint.full_clean()
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_rotate_secret(*, endpoint: WebhookEndpoint, by: Person) -> WebhookEndpoint:
    """A new secret; deliveries still pending are signed with it when they go out."""
    _require_keeper(by, endpoint)
    endpoint.secret = new_secret()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret=endpoint.secret)
    return endpoint


@transaction.atomic
def webhook_delete(*, endpoint: WebhookEndpoint, by: Person) -> None:
    """Remove an endpoint with its deliveries (without the endpoint's secret they cannot be signed)."""
    _require_keeper(by, endpoint)
    endpoint.delete()
