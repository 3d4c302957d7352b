"""The office's notification channels (通知渠道) of the units and groups of its region, and the failed
deliveries it may send again."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tasks.models import Person, Unit
from tasks.services import require_office_for

from .. import channels, outbox
from ..models import Channel, Delivery, NotifyEndpoint, SupervisionGroup
from ..selectors import deliveries_for


def _endpoint_owner_unit(endpoint: NotifyEndpoint) -> Unit:
    return endpoint.unit if endpoint.unit_id is not None else endpoint.group.issuing_unit


@transaction.atomic
def endpoint_create(
    *,
    by: Person,
    channel: str,
    address: str,
    unit: Unit | None = None,
    group: SupervisionGroup | None = None,
    secret: str = "",
) -> NotifyEndpoint:
    """Add where a unit's or a group's messages go: a mailbox, a WeCom or a DingTalk robot.

    The address is checked as channels.check_address checks it (a webhook only to the allowed
    hosts, never to the intranet); the 加签 secret is kept for DingTalk only."""
    if (unit is None) == (group is None):
        raise ValidationError({"owner": _("请选择一个单位或一个督导检查组。")})
    require_office_for(by, unit if unit is not None else group.issuing_unit, _("设置通知渠道"))
    try:
        address = channels.check_address(channel, address)
    except ValidationError as exc:
        raise ValidationError({"address": exc.messages}) from None
    # The unique constraint cannot see these: one of unit and group is always NULL, and NULLs differ.
    if NotifyEndpoint.objects.filter(unit=unit, group=group, channel=channel, address=address).exists():
        raise ValidationError({"address": _("已有相同的通知渠道。")})
    endpoint = NotifyEndpoint(
        unit=unit,
        group=group,
        channel=channel,
        address=address,
        secret=(secret or "").strip() if channel == Channel.DINGTALK else "",
    )
    endpoint.full_clean()
    endpoint.save()
    return endpoint


@transaction.atomic
def endpoint_set_enabled(*, endpoint: NotifyEndpoint, by: Person, enabled: bool) -> NotifyEndpoint:
    require_office_for(by, _endpoint_owner_unit(endpoint), _("设置通知渠道"))
    NotifyEndpoint.objects.filter(pk=endpoint.pk).update(enabled=enabled)
    endpoint.enabled = enabled
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint: NotifyEndpoint, by: Person) -> None:
    """Remove a channel. Its past deliveries stay on record (they keep the address they went to)."""
    require_office_for(by, _endpoint_owner_unit(endpoint), _("设置通知渠道"))
    endpoint.delete()


def delivery_retry(*, delivery: Delivery, by: Person) -> Delivery:
    """The office sends a failed delivery again (outbox.retry: attempts start over)."""
    if not deliveries_for(by).filter(pk=delivery.pk).exists():
        raise PermissionDenied(_("只有本地区的督查室可以重发。"))
    return outbox.retry(delivery)
