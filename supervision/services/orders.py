"""Supervision orders (督办单): issued by a group to a unit, acknowledged (签收), rectified with evidence
(整改反馈), then verified and closed out (验收销号) or returned by the group. Each step goes on the
order's timeline, and issuing and closing out also on the timeline of each related task.
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tasks import clock
from tasks.models import EventKind, Person, TaskEvent, Unit
from tasks.services import InvalidTransition, require_text

from .. import handoffs, permissions, webhooks
from ..models import (
    Finding,
    OrderEvent,
    OrderEventKind,
    OrderSequence,
    OrderStatus,
    ReminderRule,
    SupervisionGroup,
    SupervisionOrder,
    Urgency,
    WebhookEventType,
)
from .groups import require_in_scope, require_member, require_task_in_scope
from .inspections import checked_files, store_evidence


def _require_addressee(by: Person, order: SupervisionOrder, action: str) -> None:
    if not permissions.is_addressee(by, order):
        raise PermissionDenied(_("只有承办单位的人员可以%(action)s。") % {"action": action})


def _require_order_status(order: SupervisionOrder, allowed, action: str) -> None:
    if order.status not in allowed:
        raise InvalidTransition(
            _("督办单当前状态为“%(status)s”,不能%(action)s。")
            % {"status": order.get_status_display(), "action": action}
        )


def _order_event(order: SupervisionOrder, kind: str, by: Person, note: str = "") -> OrderEvent:
    return OrderEvent.objects.create(order=order, kind=kind, actor=by, at=clock.now(), note=note)


def _task_events(order: SupervisionOrder, kind: str, by: Person) -> None:
    """The step also shows on each related task's timeline."""
    TaskEvent.objects.bulk_create(
        TaskEvent(
            task=task,
            kind=kind,
            actor=by,
            at=clock.now(),
            after={"order_id": order.pk, "number": order.number},
        )
        for task in order.tasks.all()
    )


def order_number(group: SupervisionGroup, year: int, sequence: int) -> str:
    """The official style: 洪督〔2026〕12号."""
    return f"{group.order_prefix or group.name}〔{year}〕{sequence}号"


def _next_sequence(group: SupervisionGroup, year: int) -> int:
    # The row is created once, then locked for the rest of this transaction: concurrent issuers queue
    # here, and a rolled-back issue gives its number back. No gaps, no duplicates.
    OrderSequence.objects.bulk_create([OrderSequence(group=group, year=year)], ignore_conflicts=True)
    counter = OrderSequence.objects.select_for_update().get(group=group, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


@transaction.atomic
def order_issue(
    *,
    group: SupervisionGroup,
    by: Person,
    unit: Unit,
    problem: str,
    requirement: str,
    deadline,
    urgency: str = Urgency.BLUE,
    cooperating_units: Iterable[Unit] = (),
    tasks: Iterable = (),
    finding: Finding | None = None,
) -> SupervisionOrder:
    """Issue a 督办单 to `unit`, numbered in the group's yearly sequence."""
    require_member(by, group, _("下发督办单"))
    require_in_scope(group, unit, "unit")
    cooperating_units = [u for u in dict.fromkeys(cooperating_units)]
    if unit in cooperating_units:
        raise ValidationError({"cooperating_units": _("承办单位不能同时是协办单位。")})
    if deadline < timezone.localdate():
        raise ValidationError({"deadline": _("整改时限不能早于今天。")})
    tasks = list(dict.fromkeys(tasks))
    for task in tasks:
        require_task_in_scope(group, task, "tasks")
    if finding is not None:
        # Locked first: of two issuers of the same finding the second waits here, then sees the
        # first's order (a 409, not the IntegrityError of the finding's one-to-one).
        Finding.objects.select_for_update().only("pk").get(pk=finding.pk)
        if SupervisionOrder.objects.filter(finding=finding).exists():
            raise InvalidTransition(_("这个问题已经下发过督办单。"))
    year = timezone.localdate().year
    order = SupervisionOrder(
        group=group,
        year=year,
        sequence=1,  # replaced below, once the input is known to be good
        number="",
        unit=unit,
        finding=finding,
        problem=(problem or "").strip(),
        requirement=(requirement or "").strip(),
        deadline=deadline,
        urgency=urgency,
        issued_by=by,
    )
    order.full_clean(exclude=["sequence", "number"], validate_constraints=False)
    order.sequence = _next_sequence(group, year)
    order.number = order_number(group, year, order.sequence)
    order.save()
    order.cooperating_units.set(cooperating_units)
    order.tasks.set(tasks or ([finding.task] if finding and finding.task_id else []))
    _order_event(order, OrderEventKind.ISSUED, by)
    _task_events(order, EventKind.ORDER_ISSUED, by)
    handoffs.notify(
        rule=ReminderRule.ORDER_ISSUED,
        key=f"order_issued:o{order.pk}",
        order=order,
        units=[order.unit_id],
        cooperating=[u.pk for u in cooperating_units],
        note=order.requirement,
        by=by,
    )
    webhooks.order_changed(order, WebhookEventType.ORDER_ISSUED)
    return order


def _locked_order(order: SupervisionOrder) -> SupervisionOrder:
    return SupervisionOrder.objects.select_for_update().select_related("group", "unit").get(pk=order.pk)


@transaction.atomic
def order_acknowledge(*, order: SupervisionOrder, by: Person) -> SupervisionOrder:
    """签收: the addressed unit confirms it has the order."""
    order = _locked_order(order)
    _require_addressee(by, order, _("签收督办单"))
    _require_order_status(order, [OrderStatus.ISSUED], _("签收"))
    order.status = OrderStatus.ACKNOWLEDGED
    order.save()
    _order_event(order, OrderEventKind.ACKNOWLEDGED, by)
    return order


@transaction.atomic
def order_report_rectification(
    *, order: SupervisionOrder, by: Person, text: str, files: Iterable = ()
) -> SupervisionOrder:
    """整改反馈: the unit reports what it has put right, with its evidence (整改佐证: photos, documents)
    kept on the order with this rectification's event."""
    order = _locked_order(order)
    _require_addressee(by, order, _("反馈整改情况"))
    _require_order_status(order, [OrderStatus.ACKNOWLEDGED], _("反馈整改"))
    text = require_text(text, "text", _("整改情况"))
    checked = checked_files(files, "files")
    order.status = OrderStatus.RECTIFIED
    order.rectification = text
    order.returned = False
    order.save()
    event = _order_event(order, OrderEventKind.RECTIFIED, by, note=text)
    store_evidence(checked, by, order=order, order_event=event)
    handoffs.notify(
        rule=ReminderRule.ORDER_RECTIFIED,
        key=f"order_rectified:e{event.pk}",
        order=order,
        groups=[order.group_id],
        note=text,
        by=by,
    )
    return order


@transaction.atomic
def order_verify(*, order: SupervisionOrder, by: Person, note: str = "") -> SupervisionOrder:
    """验收销号: a member of the issuing group confirms the rectification."""
    order = _locked_order(order)
    require_member(by, order.group, _("验收销号"))
    _require_order_status(order, [OrderStatus.RECTIFIED], _("销号"))
    order.status = OrderStatus.CLOSED
    order.closed_at = timezone.now()
    order.save()
    _order_event(order, OrderEventKind.CLOSED, by, note=(note or "").strip())
    _task_events(order, EventKind.ORDER_CLOSED, by)
    webhooks.order_changed(order, WebhookEventType.ORDER_CLOSED)
    return order


@transaction.atomic
def order_return(*, order: SupervisionOrder, by: Person, reason: str) -> SupervisionOrder:
    """The issuing group sends a rectification back: the unit must rectify again."""
    order = _locked_order(order)
    require_member(by, order.group, _("退回整改"))
    _require_order_status(order, [OrderStatus.RECTIFIED], _("退回"))
    reason = require_text(reason, "reason", _("退回理由"))
    order.status = OrderStatus.ACKNOWLEDGED
    order.returned = True
    order.save()
    event = _order_event(order, OrderEventKind.RETURNED, by, note=reason)
    handoffs.notify(
        rule=ReminderRule.ORDER_RETURNED,
        key=f"order_returned:e{event.pk}",
        order=order,
        units=[order.unit_id],
        note=reason,
        by=by,
    )
    return order
