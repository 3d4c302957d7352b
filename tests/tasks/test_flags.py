"""Derived flags (overdue, due soon, behind) on the boundary days, in SQL and in Python alike."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from tasks.models import Task, TaskStatus
from tests.tasks.test_services import task_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
FLAGS = ("is_overdue", "is_due_soon", "is_behind")
NO_FLAGS = dict.fromkeys(FLAGS, False)
RUNNING = [TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS]
YEAR_END = datetime.date(2026, 12, 31)


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def flags(task, today: datetime.date | None = None) -> dict[str, bool]:
    """The task's flags from the SQL annotations and from Python, after checking they agree."""
    annotated = Task.objects.with_flags(today).get(pk=task.pk)
    in_sql = {name: bool(getattr(annotated, name)) for name in FLAGS}
    in_python = Task.objects.get(pk=task.pk).flags_on(today)
    assert in_sql == in_python, f"SQL says {in_sql}, Python says {in_python}"
    return in_python


def year_end_task(world, status=TaskStatus.IN_PROGRESS, *, percent=50, **overrides):
    values = {"start_date": day("2026-12-01"), "deadline": YEAR_END, **overrides}
    return task_in(world, status, percent=percent, **values)


# ---- Overdue ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", RUNNING)
@pytest.mark.parametrize(
    ("moment", "overdue"),
    [
        (datetime.datetime(2026, 12, 31, 0, 0, 0, tzinfo=SHANGHAI), False),
        (datetime.datetime(2026, 12, 31, 23, 59, 59, tzinfo=SHANGHAI), False),
        (datetime.datetime(2027, 1, 1, 0, 0, 0, tzinfo=SHANGHAI), True),
        (datetime.datetime(2027, 1, 1, 0, 0, 1, tzinfo=SHANGHAI), True),
    ],
    ids=["deadline-day-start", "deadline-day-last-second", "next-day-midnight", "next-day-first-second"],
)
def test_task_becomes_overdue_at_midnight_after_its_deadline_day(
    world, time_machine, status, moment, overdue
):
    task = year_end_task(world, status)
    time_machine.move_to(moment, tick=False)
    assert flags(task)["is_overdue"] is overdue


def test_midnight_boundary_is_shanghai_time_not_utc(world, time_machine):
    task = year_end_task(world)
    # 2026-12-31 16:00 UTC is already 2027-01-01 00:00 in Shanghai.
    time_machine.move_to(datetime.datetime(2026, 12, 31, 16, 0, tzinfo=datetime.UTC), tick=False)
    assert flags(task)["is_overdue"] is True


@pytest.mark.parametrize("status", RUNNING)
@pytest.mark.parametrize(
    ("today", "overdue"),
    [("2026-12-30", False), ("2026-12-31", False), ("2027-01-01", True), ("2027-02-15", True)],
)
def test_task_is_overdue_only_on_days_after_its_deadline(world, status, today, overdue):
    task = year_end_task(world, status)
    assert flags(task, day(today))["is_overdue"] is overdue


def test_task_awaiting_close_is_never_overdue(world):
    task = year_end_task(world, TaskStatus.AWAITING_CLOSE)
    assert flags(task, day("2027-01-20")) == NO_FLAGS


# ---- Due soon ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", RUNNING)
@pytest.mark.parametrize(
    ("today", "due_soon"),
    [
        ("2026-12-23", False),  # the deadline is the 8th day ahead
        ("2026-12-24", True),  # the 7th day ahead
        ("2026-12-30", True),
        ("2026-12-31", True),  # the deadline day itself
        ("2027-01-01", False),  # overdue instead
    ],
)
def test_task_is_due_soon_from_seven_days_ahead_through_the_deadline_day(world, status, today, due_soon):
    task = year_end_task(world, status)
    assert flags(task, day(today))["is_due_soon"] is due_soon


def test_due_soon_window_follows_the_setting(world, settings):
    settings.WINTERACTION_DUE_SOON_DAYS = 3
    task = year_end_task(world)
    assert (flags(task, day("2026-12-27"))["is_due_soon"], flags(task, day("2026-12-28"))["is_due_soon"]) == (
        False,
        True,
    )


@pytest.mark.parametrize(
    ("moment", "due_soon"),
    [
        (datetime.datetime(2026, 12, 23, 23, 59, 59, tzinfo=SHANGHAI), False),
        (datetime.datetime(2026, 12, 24, 0, 0, 0, tzinfo=SHANGHAI), True),
    ],
    ids=["eighth-day-ahead-last-second", "seventh-day-ahead-midnight"],
)
def test_task_becomes_due_soon_at_midnight_seven_days_ahead(world, time_machine, moment, due_soon):
    task = year_end_task(world)
    time_machine.move_to(moment, tick=False)
    assert flags(task)["is_due_soon"] is due_soon


# ---- Behind ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "deadline", "today", "percent", "behind"),
    [
        # 10 days, 5 elapsed: 50% of the time gone.
        ("2026-12-01", "2026-12-11", "2026-12-06", 30, False),  # exactly 20 points below
        ("2026-12-01", "2026-12-11", "2026-12-06", 29, True),  # 21 points below
        ("2026-12-01", "2026-12-11", "2026-12-06", 60, False),  # ahead
        # 3 days, 1 elapsed: 33⅓% gone, so 13% is 20⅓ points below and 14% is 19⅓.
        ("2026-12-01", "2026-12-04", "2026-12-02", 13, True),
        ("2026-12-01", "2026-12-04", "2026-12-02", 14, False),
        # 3 days, 2 elapsed: 66⅔% gone.
        ("2026-12-01", "2026-12-04", "2026-12-03", 46, True),
        ("2026-12-01", "2026-12-04", "2026-12-03", 47, False),
        # on the deadline day and after it all the time is gone: 80% is 20 below, 79% is 21 below.
        ("2026-12-01", "2026-12-11", "2026-12-11", 80, False),
        ("2026-12-01", "2026-12-11", "2026-12-11", 79, True),
        ("2026-12-01", "2026-12-11", "2027-01-05", 80, False),
        ("2026-12-01", "2026-12-11", "2027-01-05", 79, True),
        # a one-day task (deadline on the start day), checked the day after.
        ("2026-12-01", "2026-12-01", "2026-12-02", 80, False),
        ("2026-12-01", "2026-12-01", "2026-12-02", 79, True),
        # on the start day no time has gone yet.
        ("2026-12-01", "2026-12-11", "2026-12-01", 0, False),
        # a task that has not begun yet.
        ("2026-12-10", "2026-12-20", "2026-12-01", 0, False),
    ],
)
def test_task_is_behind_when_more_than_20_points_below_the_elapsed_share(
    world, start, deadline, today, percent, behind
):
    task = task_in(
        world, TaskStatus.IN_PROGRESS, percent=percent, start_date=day(start), deadline=day(deadline)
    )
    assert flags(task, day(today))["is_behind"] is behind


def test_task_not_started_is_behind_once_time_has_passed(world):
    task = year_end_task(
        world, TaskStatus.NOT_STARTED, start_date=day("2026-12-01"), deadline=day("2026-12-11")
    )
    assert flags(task, day("2026-12-04"))["is_behind"] is True


def test_task_not_started_is_not_behind_while_only_20_percent_of_the_time_has_passed(world):
    task = year_end_task(
        world, TaskStatus.NOT_STARTED, start_date=day("2026-12-01"), deadline=day("2026-12-11")
    )
    assert flags(task, day("2026-12-03"))["is_behind"] is False


def test_behind_threshold_follows_the_setting(world, settings):
    settings.WINTERACTION_BEHIND_POINTS = 10
    task = task_in(
        world, TaskStatus.IN_PROGRESS, percent=39, start_date=day("2026-12-01"), deadline=day("2026-12-11")
    )
    assert flags(task, day("2026-12-06"))["is_behind"] is True


# ---- Stopped tasks carry no flags ----------------------------------------------------------------------


@pytest.mark.parametrize("status", [TaskStatus.AWAITING_CLOSE, TaskStatus.CLOSED, TaskStatus.CANCELLED])
@pytest.mark.parametrize(
    "today",
    ["2026-12-20", "2026-12-28", "2026-12-31", "2027-01-01", "2027-03-01"],
    ids=["mid-way", "due-soon-window", "deadline-day", "day-after", "long-after"],
)
def test_stopped_task_carries_no_flags(world, status, today):
    task = year_end_task(world, status, percent=0)
    assert flags(task, day(today)) == NO_FLAGS


def test_running_task_in_the_same_spot_does_carry_flags(world):
    """The counterpart of the table above: the same dates on a running task do raise flags."""
    task = year_end_task(world, TaskStatus.IN_PROGRESS, percent=0)
    assert flags(task, day("2027-01-01")) == {"is_overdue": True, "is_due_soon": False, "is_behind": True}


def test_a_list_flags_each_task_on_its_own(world):
    overdue = year_end_task(world, deadline=day("2026-12-10"), percent=90)
    due_soon = year_end_task(world, percent=90)
    relaxed = year_end_task(world, deadline=day("2027-02-28"), percent=90)
    today = day("2026-12-26")
    rows = {
        row["pk"]: {name: bool(row[name]) for name in FLAGS}
        for row in Task.objects.with_flags(today).values("pk", *FLAGS)
    }
    assert rows == {
        overdue.pk: {"is_overdue": True, "is_due_soon": False, "is_behind": False},
        due_soon.pk: {"is_overdue": False, "is_due_soon": True, "is_behind": False},
        relaxed.pk: NO_FLAGS,
    }
