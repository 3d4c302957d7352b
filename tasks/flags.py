"""The derived flags of a task: overdue (逾期), due soon (临期), behind schedule (滞后).

Computed from dates on demand, never stored. The same rules exist twice, as SQL
conditions for lists and filters and as Python for one task in hand; tests hold
them to the same answers on the boundary days.

- overdue: status not_started or in_progress and today is after the deadline day
  (a deadline ends at 23:59:59 Asia/Shanghai);
- due soon: status not_started or in_progress and the deadline is today or within
  the next DUE_SOON_DAYS days;
- behind: status not_started or in_progress and progress is more than BEHIND_POINTS
  below the share of time elapsed between the start date and the deadline.
"""

import datetime

from django.conf import settings
from django.db.models import BooleanField, ExpressionWrapper, F, Func, IntegerField, Q, Value
from django.db.models.lookups import LessThan

from .models import RUNNING_STATUSES

EPOCH = datetime.date(1970, 1, 1)


class DayNumber(Func):
    """Days since 1970-01-01 of a date column, as an integer, on PostgreSQL and SQLite."""

    output_field = IntegerField()
    arity = 1

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="(%(expressions)s - DATE '1970-01-01')", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(
            compiler, connection, template="CAST(julianday(%(expressions)s) - 2440587.5 AS INTEGER)", **extra
        )


def due_soon_days() -> int:
    return settings.WINTERACTION_DUE_SOON_DAYS


def behind_points() -> int:
    return settings.WINTERACTION_BEHIND_POINTS


def overdue_q(today: datetime.date) -> Q:
    return Q(status__in=RUNNING_STATUSES, deadline__lt=today)


def due_soon_q(today: datetime.date) -> Q:
    horizon = today + datetime.timedelta(days=due_soon_days())
    return Q(status__in=RUNNING_STATUSES, deadline__gte=today, deadline__lte=horizon)


def behind_q(today: datetime.date) -> Q:
    points = behind_points()
    elapsed = Value((today - EPOCH).days) - DayNumber("start_date")
    total = DayNumber("deadline") - DayNumber("start_date")
    # progress + points < 100 * elapsed / total, kept in integers: (progress + points) * total < 100 * elapsed
    inside = Q(deadline__gt=today) & LessThan((F("progress") + points) * total, elapsed * 100)
    past = Q(deadline__lte=today, progress__lt=100 - points)
    return Q(status__in=RUNNING_STATUSES, start_date__lt=today) & (inside | past)


def flag_annotations(today: datetime.date) -> dict:
    return {
        name: ExpressionWrapper(condition, output_field=BooleanField())
        for name, condition in (
            ("is_overdue", overdue_q(today)),
            ("is_due_soon", due_soon_q(today)),
            ("is_behind", behind_q(today)),
        )
    }


def task_flags(task, today: datetime.date) -> dict[str, bool]:
    return flags_of(task.status, task.start_date, task.deadline, task.progress, today)


def flags_of(
    status: str, start_date: datetime.date, deadline: datetime.date, progress: int, today: datetime.date
) -> dict[str, bool]:
    """The flags from a task's columns (a model instance's, or a row of values')."""
    running = status in RUNNING_STATUSES
    overdue = running and today > deadline
    due_soon = running and deadline >= today and (deadline - today).days <= due_soon_days()
    behind = False
    if running and today > start_date:
        total = (deadline - start_date).days
        elapsed = min((today - start_date).days, total)
        behind = (progress + behind_points()) * total < 100 * elapsed if total else False
        if today >= deadline:
            behind = progress + behind_points() < 100
    return {"is_overdue": overdue, "is_due_soon": due_soon, "is_behind": behind}
