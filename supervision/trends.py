"""The dashboard's trends and lists (驾驶舱): tasks by special action, progress week by week, the most overdue.

Like supervision/dashboard.py, every figure is a database aggregate over the caller's scope narrowed by
the same filters (`scoped_tasks` / `scoped_orders`: a campaign, a special action, a `county` or
`township` subtree), each function a fixed number of queries whatever the size of the campaign, and the
answers are plain dicts for the API and the pages. Days and weeks are those of Asia/Shanghai.

Definitions:

- by special action (`by_special_action`, one query): one bar per special action with tasks in scope,
  split into six stacks that add up to its tasks: overdue (逾期: not started or in progress, past the
  deadline day; the flag of tasks/flags.py on `today`), not started and in progress *not* overdue,
  awaiting close-out, closed, cancelled. Overdue is its own stack rather than an overlay, so that the
  stacks never count a task twice and each stack opens exactly its tasks on the task list
  (`?status=not_started&overdue=false` for "not started", `?overdue=true` for "overdue", …);
- weeks (`weekly`, three queries): Monday to Sunday, Asia/Shanghai, from the week holding the campaign's
  start date to the week holding min(today, the campaign's end date); none when the campaign has not
  started. Per week:
  - `closed`: tasks whose close-out (`Task.closed_at`) falls in the week; `closed_cumulative`: tasks
    closed by the end of the week (a close-out before the first week, if any, counts here only);
  - `planned`: tasks not cancelled whose deadline (the current one: an approved extension moves it)
    falls in the week; `planned_cumulative`: those due by the end of the week: the plan the burn-up
    is measured against. `total` is every task not cancelled, the height the plan ends at;
  - `reports`: progress reports (`ProgressReport.submitted_at`, any reporting unit) on the tasks in
    scope, cancelled ones included, submitted in the week.
  The weeks are grouped in the database (`TruncWeek` in Asia/Shanghai: a report at 23:30 on Sunday
  belongs to that week, one at 00:10 on Monday to the next); weeks with nothing are filled in here.
  Without a campaign the weeks are those of the special action's campaign, else of the newest campaign
  the caller sees (the page's current campaign), one query more;
- most overdue (`most_overdue_tasks`, `most_overdue_orders`, one query each): the overdue tasks
  (as above) and the overdue supervision orders (past the deadline, not closed out; addressed to a
  unit in scope, see supervision/dashboard.py) with the most days overdue (today − deadline) first,
  then by id; at most MOST_OVERDUE_LIMIT (20) of each.
"""

import datetime
import zoneinfo

from django.conf import settings
from django.db.models import Count, DateField, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from tasks.flags import overdue_q
from tasks.models import Campaign, ProgressReport, TaskStatus
from tasks.selectors import campaigns_visible_to

from .dashboard import scoped_orders, scoped_tasks
from .models import OrderStatus
from .selectors import order_overdue_q

MOST_OVERDUE_LIMIT = 20

# The stacks of a special action's bar, bottom to top: (key, status on the task list, overdue flag).
STACKS = (
    ("closed", TaskStatus.CLOSED, None),
    ("awaiting_close", TaskStatus.AWAITING_CLOSE, None),
    ("in_progress", TaskStatus.IN_PROGRESS, False),
    ("not_started", TaskStatus.NOT_STARTED, False),
    ("overdue", None, True),
    ("cancelled", TaskStatus.CANCELLED, None),
)


def _shanghai() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _filters(campaign, special_action, county, township) -> dict:
    return {"campaign": campaign, "special_action": special_action, "county": county, "township": township}


def stack_labels() -> dict[str, str]:
    return {
        "closed": str(TaskStatus.CLOSED.label),
        "awaiting_close": str(TaskStatus.AWAITING_CLOSE.label),
        "in_progress": str(TaskStatus.IN_PROGRESS.label),
        "not_started": str(TaskStatus.NOT_STARTED.label),
        "overdue": _("逾期"),
        "cancelled": str(TaskStatus.CANCELLED.label),
    }


# ---- By special action ---------------------------------------------------------------------------------


def by_special_action(
    user,
    *,
    campaign=None,
    special_action=None,
    county=None,
    township=None,
    today: datetime.date | None = None,
) -> dict:
    """Tasks in scope by special action, in the six stacks of the module's docstring. One query."""
    today = today or timezone.localdate()
    running_in_time = Q(deadline__gte=today)
    rows = (
        scoped_tasks(user, **_filters(campaign, special_action, county, township))
        .values(
            "special_action",
            "special_action__name",
            "special_action__sort_order",
            "campaign",
            "campaign__name",
        )
        .annotate(
            tasks=Count("pk"),
            closed=Count("pk", filter=Q(status=TaskStatus.CLOSED)),
            awaiting_close=Count("pk", filter=Q(status=TaskStatus.AWAITING_CLOSE)),
            in_progress=Count("pk", filter=Q(status=TaskStatus.IN_PROGRESS) & running_in_time),
            not_started=Count("pk", filter=Q(status=TaskStatus.NOT_STARTED) & running_in_time),
            overdue=Count("pk", filter=overdue_q(today)),
            cancelled=Count("pk", filter=Q(status=TaskStatus.CANCELLED)),
        )
    )
    actions = [
        {
            "id": row["special_action"],
            "name": row["special_action__name"],
            "campaign": row["campaign"],
            "campaign_name": row["campaign__name"],
            "tasks": row["tasks"],
            **{key: row[key] for key, _status, _overdue in STACKS},
        }
        for row in sorted(
            rows, key=lambda r: (r["campaign"], r["special_action__sort_order"], r["special_action"])
        )
    ]
    labels = stack_labels()
    return {
        "today": today,
        "stacks": [{"key": key, "label": labels[key]} for key, _status, _overdue in STACKS],
        "special_actions": actions,
    }


# ---- Week by week --------------------------------------------------------------------------------------


def monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def default_campaign(user, special_action=None) -> Campaign | None:
    """The campaign whose weeks to show when none is chosen: the special action's, else the newest the
    caller sees (as tasks.views.common.current_campaign without a choice in the session). One query."""
    if special_action is not None:
        campaign_id = getattr(special_action, "campaign_id", None)
        if campaign_id is None:  # an id rather than a row
            return Campaign.objects.filter(special_actions=special_action).first()
        return Campaign.objects.filter(pk=campaign_id).first()
    return campaigns_visible_to(user).order_by("-start_date", "-id").first()


def week_starts(campaign: Campaign, today: datetime.date) -> list[datetime.date]:
    """The Mondays of the weeks from the campaign's start to min(today, its end)."""
    last = min(today, campaign.end_date)
    if last < campaign.start_date:
        return []
    first, stop = monday(campaign.start_date), monday(last)
    return [first + datetime.timedelta(weeks=n) for n in range((stop - first).days // 7 + 1)]


def _by_week(rows) -> dict[datetime.date, int]:
    counts: dict[datetime.date, int] = {}
    for row in rows:
        week = row["week"]
        if isinstance(week, datetime.datetime):  # defensive: some backends hand back a datetime
            week = week.date()
        counts[week] = counts.get(week, 0) + row["n"]
    return counts


def weekly(
    user,
    *,
    campaign: Campaign | None = None,
    special_action=None,
    county=None,
    township=None,
    today: datetime.date | None = None,
) -> dict:
    """The campaign week by week: tasks closed and planned (burn-up) and progress reports.

    Three queries (four without a campaign): close-outs by week, deadlines by week, reports by week.
    """
    today = today or timezone.localdate()
    if campaign is None:
        campaign = default_campaign(user, special_action)
    if campaign is None:
        return {"today": today, "campaign": None, "total": 0, "weeks": []}
    starts = week_starts(campaign, today)
    tasks = scoped_tasks(user, **_filters(campaign, special_action, county, township))
    shanghai = _shanghai()
    horizon = None
    if starts:
        after = starts[-1] + datetime.timedelta(weeks=1)
        horizon = datetime.datetime.combine(after, datetime.time.min, tzinfo=shanghai)
        beginning = datetime.datetime.combine(starts[0], datetime.time.min, tzinfo=shanghai)

    def week_of(field):
        return TruncWeek(field, tzinfo=shanghai, output_field=DateField())

    closed = {}
    reports = {}
    if horizon is not None:
        closed = _by_week(
            tasks.filter(status=TaskStatus.CLOSED, closed_at__lt=horizon)
            .values(week=week_of("closed_at"))
            .annotate(n=Count("pk"))
        )
        reports = _by_week(
            ProgressReport.objects.filter(
                task__in=tasks.values("pk"), submitted_at__gte=beginning, submitted_at__lt=horizon
            )
            .order_by()
            .values(week=week_of("submitted_at"))
            .annotate(n=Count("pk"))
        )
    planned = _by_week(
        tasks.exclude(status=TaskStatus.CANCELLED).values(week=TruncWeek("deadline")).annotate(n=Count("pk"))
    )

    weeks = []
    closed_so_far = sum(n for week, n in closed.items() if starts and week < starts[0])
    planned_so_far = sum(n for week, n in planned.items() if starts and week < starts[0])
    for number, start in enumerate(starts, start=1):
        closed_so_far += closed.get(start, 0)
        planned_so_far += planned.get(start, 0)
        weeks.append(
            {
                "week": number,
                "start": start,
                "end": start + datetime.timedelta(days=6),
                "closed": closed.get(start, 0),
                "closed_cumulative": closed_so_far,
                "planned": planned.get(start, 0),
                "planned_cumulative": planned_so_far,
                "reports": reports.get(start, 0),
            }
        )
    return {
        "today": today,
        "campaign": {
            "id": campaign.pk,
            "name": campaign.name,
            "start_date": campaign.start_date,
            "end_date": campaign.end_date,
        },
        "total": sum(planned.values()),
        "weeks": weeks,
    }


# ---- The most overdue ----------------------------------------------------------------------------------


def most_overdue_tasks(
    user,
    *,
    campaign=None,
    special_action=None,
    county=None,
    township=None,
    today: datetime.date | None = None,
    limit: int = MOST_OVERDUE_LIMIT,
) -> list[dict]:
    """The overdue tasks in scope, most days overdue first (then by id), at most `limit`. One query."""
    today = today or timezone.localdate()
    rows = (
        scoped_tasks(user, **_filters(campaign, special_action, county, township))
        .filter(overdue_q(today))
        .order_by("deadline", "pk")
        .values("pk", "code", "title", "status", "deadline", "lead_unit", "lead_unit__name", "special_action")
    )[:limit]
    return [
        {
            "id": row["pk"],
            "code": row["code"],
            "title": row["title"],
            "status": row["status"],
            "lead_unit": row["lead_unit"],
            "lead_unit_name": row["lead_unit__name"],
            "special_action": row["special_action"],
            "deadline": row["deadline"],
            "days_overdue": (today - row["deadline"]).days,
        }
        for row in rows
    ]


def most_overdue_orders(
    user,
    *,
    campaign=None,
    special_action=None,
    county=None,
    township=None,
    today: datetime.date | None = None,
    limit: int = MOST_OVERDUE_LIMIT,
) -> list[dict]:
    """The overdue supervision orders in scope, most days overdue first (then by id), at most `limit`.
    One query."""
    today = today or timezone.localdate()
    rows = (
        scoped_orders(user, **_filters(campaign, special_action, county, township))
        .filter(order_overdue_q(today))
        .order_by("deadline", "pk")
        .values("pk", "number", "unit", "unit__name", "deadline", "status", "urgency")
    )[:limit]
    return [
        {
            "id": row["pk"],
            "number": row["number"],
            "unit": row["unit"],
            "unit_name": row["unit__name"],
            "deadline": row["deadline"],
            "days_overdue": (today - row["deadline"]).days,
            "status": row["status"],
            "status_label": str(OrderStatus(row["status"]).label),
            "urgency": row["urgency"],
        }
        for row in rows
    ]


# ---- What the API answers ------------------------------------------------------------------------------


def trends(
    user,
    *,
    campaign=None,
    special_action=None,
    county=None,
    township=None,
    today: datetime.date | None = None,
) -> dict:
    """`by_special_action` and `weekly` together (four queries; five without a campaign)."""
    today = today or timezone.localdate()
    filters = _filters(campaign, special_action, county, township)
    return {
        "today": today,
        "by_special_action": by_special_action(user, **filters, today=today),
        "weekly": weekly(user, **filters, today=today),
    }


def overdue_lists(
    user,
    *,
    campaign=None,
    special_action=None,
    county=None,
    township=None,
    today: datetime.date | None = None,
) -> dict:
    """`most_overdue_tasks` and `most_overdue_orders` together (two queries)."""
    today = today or timezone.localdate()
    filters = _filters(campaign, special_action, county, township)
    return {
        "today": today,
        "limit": MOST_OVERDUE_LIMIT,
        "tasks": most_overdue_tasks(user, **filters, today=today),
        "orders": most_overdue_orders(user, **filters, today=today),
    }
