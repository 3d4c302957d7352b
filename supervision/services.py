"""Writes of supervision work: groups, inspections (with their photos), supervision orders (with the
evidence of each rectification). Cards live in supervision/cards.py.

Evidence files are checked by tasks.evidence (type from the content, size and count limits) before
anything is written, and stored last: a refusal changes nothing, in the database or on disk.
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tasks import evidence
from tasks.models import EventKind, Person, Role, SpecialAction, Task, TaskEvent, Unit
from tasks.services import InvalidTransition, require_office_for, require_text

from .models import (
    Finding,
    Inspection,
    InspectionKind,
    OrderEvent,
    OrderEventKind,
    OrderSequence,
    OrderStatus,
    SupervisionAttachment,
    SupervisionGroup,
    SupervisionOrder,
    Urgency,
)


@transaction.atomic
def group_create(
    *,
    name: str,
    issuing_unit: Unit,
    by: Person,
    scope_units: Iterable[Unit],
    leader: Person | None = None,
    members: Iterable[Person] = (),
    scope_special_actions: Iterable[SpecialAction] = (),
    order_prefix: str = "",
) -> SupervisionGroup:
    """Form a supervision group: the city's numbered groups, or a county's 两办 groups."""
    require_office_for(by, issuing_unit, _("组建和调整督导检查组"))
    if not issuing_unit.is_region:
        raise ValidationError({"issuing_unit": _("督导检查组只能由省、市或县派出。")})
    scope_units = list(scope_units)
    if not scope_units:
        raise ValidationError({"scope_units": _("请至少选择一个督导范围单位。")})
    for unit in scope_units:
        if not unit.path.startswith(issuing_unit.path):
            raise ValidationError(
                {
                    "scope_units": _("%(unit)s不在%(issuer)s的管辖范围内。")
                    % {"unit": unit, "issuer": issuing_unit}
                }
            )
    members = list(dict.fromkeys([*([leader] if leader else []), *members]))
    group = SupervisionGroup(
        name=name.strip(), issuing_unit=issuing_unit, leader=leader, order_prefix=order_prefix.strip()
    )
    group.full_clean()
    group.save()
    group.members.set(members)
    group.scope_units.set(scope_units)
    group.scope_special_actions.set(scope_special_actions)
    return group


@transaction.atomic
def group_set_members(*, group: SupervisionGroup, by: Person, members: Iterable[Person]) -> SupervisionGroup:
    require_office_for(by, group.issuing_unit, _("组建和调整督导检查组"))
    # The group's leader stays a member: membership is what lets them read the group's scope.
    group.members.set(list(dict.fromkeys([*([group.leader] if group.leader else []), *members])))
    return group


# ---- Inspections and supervision orders --------------------------------------------------------------


def _require_member(by: Person, group: SupervisionGroup, action: str) -> None:
    if by.is_superuser:
        return
    if not group.is_active or not group.members.filter(pk=by.pk).exists():
        raise PermissionDenied(
            _("只有%(group)s的成员可以%(action)s。") % {"group": group.name, "action": action}
        )


def _require_in_scope(group: SupervisionGroup, unit: Unit, field: str) -> None:
    if not any(unit.path.startswith(scope.path) for scope in group.scope_units.all()):
        raise ValidationError(
            {field: _("%(unit)s不在%(group)s的督导范围内。") % {"unit": unit, "group": group.name}}
        )


def _require_task_in_scope(group: SupervisionGroup, task: Task, field: str) -> None:
    """The task's lead unit lies in the scope and, for a group limited to special actions, the task
    belongs to one of them."""
    _require_in_scope(group, task.lead_unit, field)
    limited = {action.pk for action in group.scope_special_actions.all()}
    if limited and task.special_action_id not in limited:
        raise ValidationError(
            {
                field: _("任务“%(task)s”不在%(group)s督导的专项行动内。")
                % {"task": task.title, "group": group.name}
            }
        )


def _require_addressee(by: Person, order: SupervisionOrder, action: str) -> None:
    if by.unit_id != order.unit_id or by.role not in (Role.UNIT_OFFICIAL, Role.OFFICE):
        raise PermissionDenied(_("只有承办单位的人员可以%(action)s。") % {"action": action})


def _require_order_status(order: SupervisionOrder, allowed, action: str) -> None:
    if order.status not in allowed:
        raise InvalidTransition(
            _("督办单当前状态为“%(status)s”,不能%(action)s。")
            % {"status": order.get_status_display(), "action": action}
        )


def _order_event(order: SupervisionOrder, kind: str, by: Person, note: str = "") -> OrderEvent:
    return OrderEvent.objects.create(order=order, kind=kind, actor=by, note=note)


def _task_events(order: SupervisionOrder, kind: str, by: Person) -> None:
    """The step also shows on each related task's timeline."""
    TaskEvent.objects.bulk_create(
        TaskEvent(task=task, kind=kind, actor=by, after={"order_id": order.pk, "number": order.number})
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


# ---- Evidence ------------------------------------------------------------------------------------------


def _checked_files(files, field: str) -> list[evidence.CheckedUpload]:
    """Every file checked before anything is written; the errors under the caller's field name."""
    try:
        return evidence.validate_uploads(list(files or ()))
    except ValidationError as exc:
        errors = [error for errors in exc.error_dict.values() for error in errors]  # codes kept
        raise ValidationError({field: errors}) from None


def _store_evidence(checked, by: Person, **owner) -> list[SupervisionAttachment]:
    """Store checked files on their owner (an inspection, or an order and its event), photos with
    their thumbnail and web copy. Called last in its transaction, after every check has passed."""
    stored = []
    for item in checked:
        upload = item.upload
        attachment = SupervisionAttachment(
            file=upload,
            original_name=(getattr(upload, "name", "") or "file")[-255:],
            size=upload.size,
            content_type=item.content_type,  # what the content is, not what the client claimed
            uploaded_by=by,
            **owner,
        )
        attachment.save()
        evidence.make_copies(attachment)
        stored.append(attachment)
    return stored


@transaction.atomic
def inspection_record(
    *,
    group: SupervisionGroup,
    by: Person,
    kind: str,
    date,
    summary: str,
    units: Iterable[Unit] = (),
    tasks: Iterable[Task] = (),
    findings: Iterable[dict] = (),
    photos: Iterable = (),
) -> Inspection:
    """A group records an inspection; `findings` are dicts of unit, text and optionally task;
    `photos` are the photos and documents taken on the spot (现场照片)."""
    _require_member(by, group, _("记录督查"))
    if kind not in InspectionKind.values:
        raise ValidationError({"kind": _("未知的督查方式。")})
    if date > timezone.localdate():
        raise ValidationError({"date": _("督查日期不能晚于今天。")})
    units = list(dict.fromkeys(units))
    for unit in units:
        _require_in_scope(group, unit, "units")
    tasks = list(dict.fromkeys(tasks))
    for task in tasks:
        _require_task_in_scope(group, task, "tasks")
    rows = []
    for item in findings:
        _require_in_scope(group, item["unit"], "findings")
        if item.get("task") is not None:
            _require_task_in_scope(group, item["task"], "findings")
        text = require_text(item.get("text"), "findings", _("发现问题"))
        rows.append(Finding(unit=item["unit"], task=item.get("task"), text=text))
    checked = _checked_files(photos, "photos")
    inspection = Inspection(group=group, kind=kind, date=date, summary=(summary or "").strip(), created_by=by)
    inspection.full_clean()
    inspection.save()
    inspection.units_visited.set(units)
    inspection.tasks_checked.set(tasks)
    for finding in rows:
        finding.inspection = inspection
        finding.full_clean()
        finding.save()
    _store_evidence(checked, by, inspection=inspection)
    return inspection


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
    _require_member(by, group, _("下发督办单"))
    _require_in_scope(group, unit, "unit")
    cooperating_units = [u for u in dict.fromkeys(cooperating_units)]
    if unit in cooperating_units:
        raise ValidationError({"cooperating_units": _("承办单位不能同时是协办单位。")})
    if deadline < timezone.localdate():
        raise ValidationError({"deadline": _("整改时限不能早于今天。")})
    tasks = list(dict.fromkeys(tasks))
    for task in tasks:
        _require_task_in_scope(group, task, "tasks")
    if finding is not None and SupervisionOrder.objects.filter(finding=finding).exists():
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
    checked = _checked_files(files, "files")
    order.status = OrderStatus.RECTIFIED
    order.rectification = text
    order.returned = False
    order.save()
    event = _order_event(order, OrderEventKind.RECTIFIED, by, note=text)
    _store_evidence(checked, by, order=order, order_event=event)
    return order


@transaction.atomic
def order_verify(*, order: SupervisionOrder, by: Person, note: str = "") -> SupervisionOrder:
    """验收销号: a member of the issuing group confirms the rectification."""
    order = _locked_order(order)
    _require_member(by, order.group, _("验收销号"))
    _require_order_status(order, [OrderStatus.RECTIFIED], _("销号"))
    order.status = OrderStatus.CLOSED
    order.closed_at = timezone.now()
    order.save()
    _order_event(order, OrderEventKind.CLOSED, by, note=(note or "").strip())
    _task_events(order, EventKind.ORDER_CLOSED, by)
    return order


@transaction.atomic
def order_return(*, order: SupervisionOrder, by: Person, reason: str) -> SupervisionOrder:
    """The issuing group sends a rectification back: the unit must rectify again."""
    order = _locked_order(order)
    _require_member(by, order.group, _("退回整改"))
    _require_order_status(order, [OrderStatus.RECTIFIED], _("退回"))
    reason = require_text(reason, "reason", _("退回理由"))
    order.status = OrderStatus.ACKNOWLEDGED
    order.returned = True
    order.save()
    _order_event(order, OrderEventKind.RETURNED, by, note=reason)
    return order
