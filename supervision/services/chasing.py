"""催办 by hand: the office or an inspector chases one task or one supervision order. The unit is told
at once (its inbox and its channels, through supervision/handoffs.notify: the scan's materialize and
the outbox), and so are the task's cooperating units the chaser picks; the chase goes on the
subject's timeline."""

import uuid
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tasks.models import RUNNING_STATUSES, EventKind, Person, Task, TaskCooperation, TaskEvent, Unit
from tasks.selectors import tasks_visible_to
from tasks.services import InvalidTransition

from .. import handoffs, permissions
from ..models import Notification, OrderEvent, OrderEventKind, OrderStatus, ReminderRule, SupervisionOrder
from ..selectors import orders_visible_to


def _require_chaser(by: Person) -> None:
    if not permissions.may_chase(by):
        raise PermissionDenied(_("只有督查室和督导组成员可以催办。"))


def _chase(
    *, by: Person, note: str, unit_id: int, cooperating: Iterable[int] = (), **subject
) -> Notification:
    """The chase's notifications (the unit's first), told at once like every handoff."""
    keys = handoffs.notify(
        rule=ReminderRule.CHASE,
        key=f"chase:{uuid.uuid4().hex}",  # every chase is news, even the same words twice
        units=[unit_id],
        cooperating=cooperating,
        note=note,
        by=by,
        **subject,
    )
    return Notification.objects.get(key=keys[0])


def _chosen_cooperating(task: Task, units: Iterable[Unit]) -> list[int]:
    """The cooperating units the chaser picked, each one of the task's (else a form error)."""
    chosen = sorted({unit.pk for unit in units})
    if not chosen:
        return []
    theirs = set(TaskCooperation.objects.filter(task=task).values_list("unit_id", flat=True))
    if not set(chosen) <= theirs:
        raise ValidationError({"cooperating_units": _("只能催办这项任务的配合单位。")})
    return chosen


@transaction.atomic
def chase_task(
    *, task: Task, by: Person, note: str = "", cooperating_units: Iterable[Unit] = ()
) -> Notification:
    """催办 one task: its lead unit, and the cooperating units picked, are told at once; the chase goes
    on the task's timeline. Returns the lead unit's notification."""
    _require_chaser(by)
    if not tasks_visible_to(by).filter(pk=task.pk).exists():
        raise PermissionDenied(_("这项任务不在您的督查范围内。"))
    note = (note or "").strip()
    cooperating = _chosen_cooperating(task, cooperating_units)
    notification = _chase(by=by, note=note, task=task, unit_id=task.lead_unit_id, cooperating=cooperating)
    after = {"cooperating_unit_ids": cooperating} if cooperating else {}
    TaskEvent.objects.create(task=task, kind=EventKind.CHASED, actor=by, note=note, after=after)
    return notification


@transaction.atomic
def task_chase(
    *, task: Task, by: Person, note: str = "", cooperating_units: Iterable[Unit] = ()
) -> Notification:
    """chase_task, refused for a task no longer running (closed, cancelled, awaiting close-out), as
    chase_order refuses a closed order. Who may chase is checked first."""
    if permissions.may_chase(by) and task.status not in RUNNING_STATUSES:
        raise InvalidTransition(
            _("任务当前状态为“%(status)s”,无需催办。") % {"status": task.get_status_display()}
        )
    return chase_task(task=task, by=by, note=note, cooperating_units=cooperating_units)


@transaction.atomic
def chase_order(*, order: SupervisionOrder, by: Person, note: str = "") -> Notification:
    """催办 one supervision order: the addressed unit is told at once; on the order's timeline."""
    _require_chaser(by)
    if not orders_visible_to(by).filter(pk=order.pk).exists():
        raise PermissionDenied(_("这张督办单不在您的督查范围内。"))
    if order.status == OrderStatus.CLOSED:
        raise InvalidTransition(_("督办单已销号,无需催办。"))
    note = (note or "").strip()
    notification = _chase(by=by, note=note, order=order, unit_id=order.unit_id)
    OrderEvent.objects.create(order=order, kind=OrderEventKind.CHASED, actor=by, note=note)
    return notification
