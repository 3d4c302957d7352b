"""催办 by hand: the office or an inspector chases one task or one supervision order. The unit is told
at once (its inbox and its channels, supervision/reminders.materialize and the outbox) and the chase
goes on the subject's timeline."""

import uuid

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tasks.models import RUNNING_STATUSES, EventKind, Person, Task, TaskEvent
from tasks.selectors import tasks_visible_to
from tasks.services import InvalidTransition

from .. import outbox, permissions
from ..models import Notification, OrderEvent, OrderEventKind, OrderStatus, ReminderRule, SupervisionOrder
from ..reminders import materialize
from ..selectors import orders_visible_to


def _require_chaser(by: Person) -> None:
    if not permissions.may_chase(by):
        raise PermissionDenied(_("只有督查室和督导组成员可以催办。"))


def _chase(*, by: Person, note: str, **subject) -> Notification:
    notification = Notification.objects.create(
        key=f"chase:{uuid.uuid4().hex}",
        rule=ReminderRule.CHASE,
        day=timezone.localdate(),
        note=note,
        created_by=by,
        **subject,
    )
    materialize(Q(pk=notification.pk))
    outbox.publish_on_commit(Q(notification=notification))
    return notification


@transaction.atomic
def chase_task(*, task: Task, by: Person, note: str = "") -> Notification:
    """催办 one task: its lead unit is told at once; the chase goes on the task's timeline."""
    _require_chaser(by)
    if not tasks_visible_to(by).filter(pk=task.pk).exists():
        raise PermissionDenied(_("这项任务不在您的督查范围内。"))
    note = (note or "").strip()
    notification = _chase(by=by, note=note, task=task, unit=task.lead_unit)
    TaskEvent.objects.create(task=task, kind=EventKind.CHASED, actor=by, note=note)
    return notification


@transaction.atomic
def task_chase(*, task: Task, by: Person, note: str = "") -> Notification:
    """chase_task, refused for a task no longer running (closed, cancelled, awaiting close-out), as
    chase_order refuses a closed order. Who may chase is checked first."""
    if permissions.may_chase(by) and task.status not in RUNNING_STATUSES:
        raise InvalidTransition(
            _("任务当前状态为“%(status)s”,无需催办。") % {"status": task.get_status_display()}
        )
    return chase_task(task=task, by=by, note=note)


@transaction.atomic
def chase_order(*, order: SupervisionOrder, by: Person, note: str = "") -> Notification:
    """催办 one supervision order: the addressed unit is told at once; on the order's timeline."""
    _require_chaser(by)
    if not orders_visible_to(by).filter(pk=order.pk).exists():
        raise PermissionDenied(_("这张督办单不在您的督查范围内。"))
    if order.status == OrderStatus.CLOSED:
        raise InvalidTransition(_("督办单已销号,无需催办。"))
    note = (note or "").strip()
    notification = _chase(by=by, note=note, order=order, unit=order.unit)
    OrderEvent.objects.create(order=order, kind=OrderEventKind.CHASED, actor=by, note=note)
    return notification
