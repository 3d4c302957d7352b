"""Handoffs (交办): when work passes from one side to the other, the people who now hold it are told at
once, not at the next daily scan.

| step | service | who is told |
|---|---|---|
| a task assigned or reassigned | tasks.services.task_create, task_assign | the new lead unit, the new cooperating units, a new responsible leader |
| a close-out request returned | tasks.services.task_return | the lead unit |
| an extension approved or rejected | tasks.services.extension_decide | the requesting unit |
| a leader's 批示 | tasks.services.instruction_write | the lead unit |
| a 督办单 issued | supervision.services.order_issue | the addressed unit and the 协办 units |
| a rectification returned | supervision.services.order_return | the addressed unit |
| a rectification reported | supervision.services.order_report_rectification | the issuing group's members |
| 催办 by hand | supervision.services.chase_task, chase_order | the unit, and the cooperating units the chaser picks |
| a bulletin issued | supervision.services.bulletin_issue | the units named lagging, the groups covering the region |

The steps in tasks reach here through tasks/seams.py (`handoff_listeners`, filled in
SupervisionConfig.ready()); supervision's own services call `notify` directly.

One path with the daily scan (supervision/reminders.py): a handoff writes its Notification rows, one
per audience, then `reminders.materialize` copies them into the inboxes of the people concerned and
into the outbox (one Delivery per channel of the unit or group, or the person's email), all in the
transaction of the change; `outbox.publish_on_commit` hands the deliveries to the broker after commit
(best effort: with the broker down the change stays saved and the sweeper publishes later).

Idempotent: a notification's unique `key` is the step's identity (the timeline event that records it,
or the order for its issue) and its audience, and every insert is ON CONFLICT DO NOTHING. The same
step told twice makes no second inbox item and no second delivery.
"""

from collections.abc import Iterable, Sequence

from django.db.models import Q
from django.utils import timezone

from tasks.seams import Handoff

from . import outbox
from .models import Notification, ReminderRule
from .reminders import materialize

# step: who the audience is to the work (the message's title says it).
PRINCIPAL, COOPERATING = 0, 1


def _notifications(
    *,
    rule: str,
    key: str,
    task=None,
    order=None,
    bulletin=None,
    units: Iterable[int] = (),
    cooperating: Iterable[int] = (),
    people: Iterable[int] = (),
    groups: Iterable[int] = (),
    note: str = "",
    by=None,
) -> list[Notification]:
    """One step's notifications, one per audience (not saved)."""
    audiences = (
        [("u", "unit_id", pk, PRINCIPAL) for pk in units]
        + [("u", "unit_id", pk, COOPERATING) for pk in cooperating]
        + [("p", "person_id", pk, PRINCIPAL) for pk in people]
        + [("g", "group_id", pk, PRINCIPAL) for pk in groups]
    )
    rows, seen = [], set()
    day = timezone.localdate()
    for tag, field, pk, step in audiences:
        audience_key = f"{key}:{tag}{pk}"
        if audience_key in seen:
            continue
        seen.add(audience_key)
        rows.append(
            Notification(
                key=audience_key,
                rule=rule,
                day=day,
                step=step,
                task=task,
                order=order,
                bulletin=bulletin,
                note=(note or "").strip(),
                created_by=by,
                **{field: pk},
            )
        )
    return rows


# Keys per statement: well under SQLite's limit on a statement's parameters.
CHUNK = 500


def _tell(rows: list[Notification]) -> list[str]:
    """Save the notifications (a step told twice is told once), fill the inboxes and the outbox, and
    publish the deliveries after commit: a fixed number of statements per CHUNK notifications."""
    keys = [row.key for row in rows]
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=CHUNK)
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        materialize(Q(key__in=chunk))
        outbox.publish_on_commit(Q(notification__key__in=chunk))
    return keys


def notify(**step) -> list[str]:
    """Tell each audience of one step about it, inside the caller's transaction; returns the keys.

    `key` names the step (e.g. "order_returned:e12"); each audience's notification adds its own part
    (":u3", ":p7", ":g2"). Nothing happens when there is nobody to tell. The arguments are
    `_notifications`'s: rule, key, task, order, bulletin, units, cooperating, people, groups, note, by."""
    rows = _notifications(**step)
    return _tell(rows) if rows else []


def on_task_handoffs(handoffs: Sequence[Handoff]) -> None:
    """The listener registered in tasks/seams.py: steps in tasks/services.py, each keyed by its event;
    many at once (an import) cost the statements of one."""
    rows = []
    for handoff in handoffs:
        rule = ReminderRule(handoff.kind)
        rows += _notifications(
            rule=rule,
            key=f"{rule.value}:e{handoff.event.pk}",
            task=handoff.task,
            units=handoff.units,
            cooperating=handoff.cooperating,
            people=handoff.people,
            note=handoff.note,
            by=handoff.by,
        )
    if rows:
        _tell(rows)
