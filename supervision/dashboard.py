"""The dashboard's numbers (驾驶舱): where a campaign stands, how its units rank, where the overdue tasks are.

Every figure is a database aggregate over the caller's scope (`access_for(user).task_q()`, the same rows
as the task list), narrowed by the filters: a campaign, a special action, and a unit whose subtree to
keep (`county`, `township`: tasks whose lead unit lies at or under it). Each function runs a fixed
number of queries whatever the size of the campaign and returns plain dicts, for the API and the pages.

Definitions (the flags are those of tasks/flags.py, on `today` in Asia/Shanghai):

- completion rate: closed ÷ (tasks − cancelled);
- on time: a closed task whose close-out was requested (the `close_requested` event on its timeline)
  on or before its deadline day, Asia/Shanghai. When a close request was returned and asked again,
  the last request counts: a task with any request after its deadline day is not on time. The deadline
  is the current one (an approved extension moves it). Not the same as `closed_late`, which compares
  the office's close-out, not the unit's request, with the deadline;
- on-time rate: on time ÷ (closed + overdue): of the tasks that have come due, the share done in time;
- report timeliness: of the tasks in progress, the share whose lead unit reported within the last
  REPORT_INTERVAL_DAYS days: the tasks that `awaiting_report_q` would not list;
- a rate whose denominator is 0 is None (nothing to measure yet);
- orders: supervision orders not closed out that the caller reads (`selectors.open_orders`: addressed
  to a unit in the caller's subtrees, or issued by one of their groups), in the `county` / `township`
  subtree; with a campaign filter, the orders naming one of its tasks and those naming no task issued
  during the campaign; with a special action filter, the orders naming one of its tasks.

Every task row counts, parent tasks and their subtasks alike, as on the task list.

`user=None` means no viewer at all: every row, unscoped. Only jobs pass it (the weekly ranking snapshots,
supervision/snapshots.py), never a request.
"""

import datetime
import zoneinfo

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils import timezone

from tasks.compiled import CompiledQueries, statement_key
from tasks.flags import DayNumber, behind_q, due_soon_q, overdue_q
from tasks.models import REGION_KINDS, EventKind, ProgressReport, Task, TaskEvent, TaskStatus, UnitKind
from tasks.selectors import REPORT_INTERVAL_DAYS, Access, access_for

from . import ranking as rules
from .models import OrderStatus, RankingPolicy, RankingSnapshot, RankingSnapshotRow, SupervisionOrder
from .selectors import cards_in_force_by_unit, order_overdue_q, orders_in_scope

COMPILED = CompiledQueries()


# ---- Scope and filters -------------------------------------------------------------------------------

EVERYTHING = Access(everything=True)


def _access(user) -> Access:
    """The viewer's access; no viewer (None, a job) reads everything."""
    return EVERYTHING if user is None else access_for(user)


def _subtree_q(units, field: str) -> Q:
    return Q(*(Q(**{f"{field}__path__startswith": unit.path}) for unit in units if unit is not None))


def scoped_tasks(user, *, campaign=None, special_action=None, county=None, township=None) -> QuerySet[Task]:
    """The caller's tasks, narrowed by the filters (a campaign and a special action as rows or ids)."""
    tasks = Task.objects.filter(_access(user).task_q()).filter(_subtree_q((county, township), "lead_unit"))
    if campaign is not None:
        tasks = tasks.filter(campaign=campaign)
    if special_action is not None:
        tasks = tasks.filter(special_action=special_action)
    return tasks.order_by()


def scoped_orders(
    user, *, campaign=None, special_action=None, county=None, township=None
) -> QuerySet[SupervisionOrder]:
    """Supervision orders of the caller and filters: `selectors.orders_in_scope`, the one set every page
    and the API count (see `selectors.orders_filtered` for how an order meets a campaign filter)."""
    return orders_in_scope(
        user, campaign=campaign, special_action=special_action, county=county, township=township
    )


# ---- Conditions ---------------------------------------------------------------------------------------


def _local_day(field: str) -> TruncDate:
    return TruncDate(field, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


def _last(queryset, field: str) -> Subquery:
    """The latest `field` among the rows of `queryset` (correlated to the outer task): one index probe."""
    return Subquery(queryset.order_by().values("task").annotate(last=Max(field)).values("last"))


def on_time_q() -> Q:
    """Closed, with every close-out request made on or before the deadline day (Asia/Shanghai): the
    last request is (one probe of the `event_close_requested` index, not two scans of the timeline).
    The status comes first, so that the last request is asked for closed tasks only."""
    requests = TaskEvent.objects.filter(task=OuterRef("pk"), kind=EventKind.CLOSE_REQUESTED)
    last_day = _local_day(_last(requests, "at"))
    return Q(status=TaskStatus.CLOSED) & Q(LessThanOrEqual(last_day, F("deadline")))


def reported_in_time_q(today: datetime.date) -> Q:
    """In progress and not awaiting a report (tasks.selectors.awaiting_report_q): the lead unit reported
    within the last REPORT_INTERVAL_DAYS days, or has not yet reported and the task started less than
    that long ago. COALESCE(last report is recent, started lately): the last report is asked for once."""
    last_allowed_day = today - datetime.timedelta(days=REPORT_INTERVAL_DAYS)
    boundary = timezone.make_aware(
        datetime.datetime.combine(last_allowed_day + datetime.timedelta(days=1), datetime.time.min)
    )
    lead_reports = ProgressReport.objects.filter(task=OuterRef("pk"), unit=OuterRef("lead_unit"))
    recent = ExpressionWrapper(
        GreaterThanOrEqual(_last(lead_reports, "submitted_at"), Value(boundary)), output_field=BooleanField()
    )
    new = ExpressionWrapper(Q(start_date__gt=last_allowed_day), output_field=BooleanField())
    return Q(status=TaskStatus.IN_PROGRESS) & Q(Coalesce(recent, new, output_field=BooleanField()))


def _days_overdue(today: datetime.date):
    return Value((today - datetime.date(1970, 1, 1)).days) - DayNumber("deadline")


def _scalar(queryset, name: str, aggregate) -> Subquery:
    """`aggregate` over the whole of `queryset`, as a subquery of one row and one column."""
    return Subquery(
        queryset.order_by()
        .annotate(wa_all=Value(1))
        .values("wa_all")
        .annotate(**{name: aggregate})
        .values(name)
    )


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _task_figures(today: datetime.date) -> dict:
    overdue = overdue_q(today)
    return {
        "tasks": Count("pk"),
        "not_started": Count("pk", filter=Q(status=TaskStatus.NOT_STARTED)),
        "in_progress": Count("pk", filter=Q(status=TaskStatus.IN_PROGRESS)),
        "awaiting_close": Count("pk", filter=Q(status=TaskStatus.AWAITING_CLOSE)),
        "closed": Count("pk", filter=Q(status=TaskStatus.CLOSED)),
        "cancelled": Count("pk", filter=Q(status=TaskStatus.CANCELLED)),
        "overdue": Count("pk", filter=overdue),
        "on_time": Count("pk", filter=on_time_q()),
        "overdue_days": Sum(_days_overdue(today), filter=overdue),
    }


def _order_figures(today: datetime.date) -> dict:
    return {
        "open_orders": Count("pk", filter=~Q(status=OrderStatus.CLOSED)),
        "overdue_orders": Count("pk", filter=order_overdue_q(today)),
    }


# ---- Summary ------------------------------------------------------------------------------------------


def summary(
    user,
    *,
    campaign=None,
    special_action=None,
    county=None,
    township=None,
    today: datetime.date | None = None,
) -> dict:
    """Where the campaign stands: counts by status and flag, the two rates, open and overdue orders.

    One query: the tasks grouped by status (the status counts are the groups' sizes, the flags summed
    over them), with the orders' two counts riding along as scalar subqueries; a scope with orders but
    no task asks for them separately.
    """
    today = today or timezone.localdate()
    filters = {"campaign": campaign, "special_action": special_action, "county": county, "township": township}

    def groups() -> QuerySet:
        overdue = overdue_q(today)
        orders_in_scope = scoped_orders(user, **filters)
        return (
            scoped_tasks(user, **filters)
            .values("status")
            .annotate(
                n=Count("pk"),
                overdue=Count("pk", filter=overdue),
                overdue_days=Sum(_days_overdue(today), filter=overdue),
                due_soon=Count("pk", filter=due_soon_q(today)),
                behind=Count("pk", filter=behind_q(today)),
                on_time=Count("pk", filter=on_time_q()),
                **{name: _scalar(orders_in_scope, name, f) for name, f in _order_figures(today).items()},
            )
        )

    # A big screen asks the same question all day: compiled once per viewer's access, filters and day.
    # The orders' scope names the viewer (orders their groups issued), so the viewer is part of the key.
    viewer = getattr(user, "pk", None)
    key = statement_key("summary", access=_access(user), day=today, filters={**filters, "viewer": viewer})
    flags = ("overdue", "overdue_days", "due_soon", "behind", "on_time")
    figures = dict.fromkeys(("tasks", *TaskStatus.values, *flags), 0)
    orders = None
    for row in COMPILED.rows(key, groups):
        orders = {name: row[name] or 0 for name in ("open_orders", "overdue_orders")}
        figures["tasks"] += row["n"]
        figures[row["status"]] = row["n"]
        for name in flags:
            figures[name] += row[name] or 0
    if orders is None:  # no task in scope: the orders still count
        orders = scoped_orders(user, **filters).aggregate(**_order_figures(today))
    return {
        "today": today,
        **figures,
        **orders,
        "completion_rate": _rate(figures["closed"], figures["tasks"] - figures["cancelled"]),
        "on_time_rate": _rate(figures["on_time"], figures["closed"] + figures["overdue"]),
    }


# ---- Ranking ------------------------------------------------------------------------------------------


def _returned_per_task() -> Coalesce:
    """How many times the task's close-out request was returned (its `returned` events): one probe."""
    returned = TaskEvent.objects.filter(task=OuterRef("pk"), kind=EventKind.RETURNED)
    counted = returned.order_by().values("task").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


def ranked_groups(
    user,
    *,
    campaign=None,
    special_action=None,
    county=None,
    township=None,
    today: datetime.date,
    policy: RankingPolicy | None = None,
) -> list[dict]:
    """The ranking's groups (one per kind of unit, rows in rank order) without last week or cards: what
    `ranking` shows and what the weekly snapshot freezes. Two queries, three without a `policy` for a
    campaign or special action (its policy is looked up: supervision/ranking.py)."""
    filters = {"campaign": campaign, "special_action": special_action, "county": county, "township": township}
    if policy is None:
        policy = rules.policy_for(campaign, special_action)
    rows = (
        scoped_tasks(user, **filters)
        .values("lead_unit", "lead_unit__name", "lead_unit__kind")
        .annotate(
            **_task_figures(today),
            reported=Count("pk", filter=reported_in_time_q(today)),
            returned=Sum(_returned_per_task()),
        )
    )
    orders = {
        row["unit"]: row
        for row in scoped_orders(user, **filters).values("unit").annotate(**_order_figures(today))
    }
    groups: dict[str, list[dict]] = {}
    for row in rows:
        unit_orders = orders.get(row["lead_unit"], {})
        item = {
            "unit": row["lead_unit"],
            "name": row["lead_unit__name"],
            "kind": row["lead_unit__kind"],
            "tasks": row["tasks"],
            "closed": row["closed"],
            "cancelled": row["cancelled"],
            "in_progress": row["in_progress"],
            "overdue": row["overdue"],
            "overdue_days": row["overdue_days"] or 0,
            "on_time": row["on_time"],
            "on_time_rate": _rate(row["on_time"], row["closed"] + row["overdue"]),
            "reported": row["reported"],
            "timeliness": _rate(row["reported"], row["in_progress"]),
            "completion_rate": _rate(row["closed"], row["tasks"] - row["cancelled"]),
            "returned": row["returned"] or 0,
            "open_orders": unit_orders.get("open_orders", 0),
            "overdue_orders": unit_orders.get("overdue_orders", 0),
        }
        item["score"] = rules.score(item, policy)
        groups.setdefault(item["kind"], []).append(item)
    ranked = []
    for kind in UnitKind.values:
        members = groups.get(kind)
        if not members:
            continue
        ranked.append({"kind": kind, "label": str(UnitKind(kind).label), "rows": rules.place(members)})
    return ranked


def ranking(
    user,
    *,
    campaign=None,
    special_action=None,
    county=None,
    township=None,
    today: datetime.date | None = None,
) -> dict:
    """Units that lead tasks in scope, ranked within their kind (departments, townships … apart).

    Per unit: tasks, closed, overdue, days overdue (the sum over its overdue tasks of today − deadline),
    the on-time rate, the report timeliness, the completion rate, the close-out requests returned, its
    open and overdue supervision orders (`selectors.open_orders`), and a score by the campaign's
    RankingPolicy (supervision/ranking.py: the formula, the treatment of empty rates, ties sharing a
    place). `policy`, `formula` and `empty_rule` come back with the rows, for the page to print.

    Each row also has `previous_rank` (its rank in the latest weekly snapshot of an earlier week that
    ranks the same tasks: see `snapshot_scope`; None when there is none or the unit was not in it),
    `rank_change` (previous − current: positive = moved up; None without a previous or current rank)
    and `cards` (the kinds of the cards standing issued against the unit, yellow before red; a proposal
    is not a card yet and shows only on the unit's page and the cards page). `previous_week` is the
    Monday of the snapshot compared with.

    Four queries, five with a campaign or special action (its policy): the tasks grouped by lead unit,
    the orders grouped by unit, the previous ranks (not run when no snapshot can be comparable), the
    cards (not run when nothing is ranked).
    """
    today = today or timezone.localdate()
    filters = {"campaign": campaign, "special_action": special_action, "county": county, "township": township}
    policy = rules.policy_for(campaign, special_action)
    groups = ranked_groups(user, **filters, today=today, policy=policy)
    previous, previous_week = previous_ranks(user, **filters, today=today)
    cards = cards_in_force_by_unit([row["unit"] for group in groups for row in group["rows"]])
    for group in groups:
        for row in group["rows"]:
            before = previous.get((row["unit"], row["kind"]))
            row["previous_rank"] = before
            row["rank_change"] = None if before is None or row["rank"] is None else before - row["rank"]
            row["cards"] = cards.get(row["unit"], [])
    return {
        "today": today,
        "weights": rules.weights(policy),
        "empty_rates": policy.empty_rates,
        "max_score": rules.MAX_SCORE,
        "formula": rules.formula(policy),
        "empty_rule": rules.empty_rule(policy),
        "previous_week": previous_week,
        "groups": groups,
    }


# ---- Last week's ranks (from supervision/snapshots.py) ---------------------------------------------------


def week_of(day: datetime.date) -> datetime.date:
    """The Monday of `day`'s week: the key of a weekly ranking snapshot."""
    return day - datetime.timedelta(days=day.weekday())


def _whole_roots(access: Access) -> list[str]:
    """Paths of the subtrees the viewer reads whole: the home region, group scopes not limited to
    special actions."""
    home = [access.region.path] if access.region is not None else []
    return home + [path for path, special_actions in access.scopes if special_actions is None]


def snapshot_scope(user, *, campaign=None, special_action=None, county=None, township=None) -> Q | None:
    """Which region's snapshots rank exactly the tasks this ranking ranks, as a condition on
    RankingSnapshot; None when no snapshot can (a snapshot ranks every task of one campaign under one
    region, with no special action):

    - no campaign, or a special action: None;
    - a `county` / `township` filter: the innermost of them, if it is a region (county, city, province)
      that the viewer reads whole (it lies in their home region or in a group scope not limited to
      special actions); else None;
    - no such filter: the viewer's subtrees must come down to one region read whole (a group scope
      inside the home region adds nothing), and that region it is. An inspector whose group inspects
      another county reads two regions: None. A viewer who reads everything ranks the whole campaign:
      the campaign owner's region (a campaign's tasks are led by units under its owner).
    """
    if campaign is None or special_action is not None:
        return None
    access = _access(user)
    subtrees = [unit for unit in (county, township) if unit is not None]
    if subtrees:
        target = max(subtrees, key=lambda unit: len(unit.path))
        if target.kind not in REGION_KINDS or any(not target.path.startswith(u.path) for u in subtrees):
            return None
        if not access.everything and not any(target.path.startswith(root) for root in _whole_roots(access)):
            return None
        return Q(scope=target.pk)
    if access.everything:
        return Q(scope=F("campaign__owner"))
    whole = _whole_roots(access)
    outermost = {
        root for root in whole if not any(root.startswith(other) for other in whole if other != root)
    }
    if len(outermost) != 1:
        return None
    [root] = outermost
    if any(not path.startswith(root) for path in access.roots()):
        return None
    return Q(scope=int(root.strip("/").split("/")[-1]))


def previous_ranks(
    user, *, campaign=None, special_action=None, county=None, township=None, today: datetime.date
) -> tuple[dict[tuple[int, str], int], datetime.date | None]:
    """{(unit, kind): rank} in the latest comparable snapshot taken before `today`, and its week.

    One query, none when no snapshot is comparable (see `snapshot_scope`). The weekly job runs early on
    Monday, so from Tuesday on the arrows show the movement since last week's close; on Monday itself
    (today's snapshot would compare the ranking with itself) they still show the week before.
    """
    scope = snapshot_scope(
        user, campaign=campaign, special_action=special_action, county=county, township=township
    )
    if scope is None:
        return {}, None
    latest = (
        RankingSnapshot.objects.filter(scope, campaign=getattr(campaign, "pk", campaign), taken_on__lt=today)
        .order_by("-week")
        .values("pk")[:1]
    )
    rows = RankingSnapshotRow.objects.filter(snapshot=Subquery(latest)).values_list(
        "unit", "kind", "rank", "snapshot__week"
    )
    ranks, weeks = {}, set()
    for unit, kind, rank, week in rows.order_by():
        ranks[(unit, kind)] = rank
        weeks.add(week)
    return ranks, weeks.pop() if weeks else None


# ---- Heat map -----------------------------------------------------------------------------------------


def heatmap(
    user,
    *,
    campaign=None,
    special_action=None,
    county=None,
    township=None,
    today: datetime.date | None = None,
) -> dict:
    """Overdue tasks by lead unit (rows) and special action (columns), with the labels and totals.

    Rows are the units that lead tasks in scope, columns the special actions that have tasks in scope
    (a zero where a unit has none overdue). One query: the tasks grouped by unit and special action.
    """
    today = today or timezone.localdate()
    cells = list(
        scoped_tasks(user, campaign=campaign, special_action=special_action, county=county, township=township)
        .values(
            "lead_unit",
            "lead_unit__name",
            "lead_unit__kind",
            "lead_unit__sort_order",
            "special_action",
            "special_action__name",
            "special_action__campaign",
            "special_action__sort_order",
        )
        .annotate(overdue=Count("pk", filter=overdue_q(today)))
    )
    kind_order = {kind: i for i, kind in enumerate(UnitKind.values)}
    units = sorted(
        {
            (c["lead_unit"], c["lead_unit__name"], c["lead_unit__kind"], c["lead_unit__sort_order"])
            for c in cells
        },
        key=lambda u: (kind_order.get(u[2], len(kind_order)), u[3], u[1], u[0]),
    )
    actions = sorted(
        {
            (
                c["special_action"],
                c["special_action__name"],
                c["special_action__campaign"],
                c["special_action__sort_order"],
            )
            for c in cells
        },
        key=lambda a: (a[2], a[3], a[0]),
    )
    row_of = {u[0]: i for i, u in enumerate(units)}
    column_of = {a[0]: j for j, a in enumerate(actions)}
    matrix = [[0] * len(actions) for _unit in units]
    for c in cells:
        matrix[row_of[c["lead_unit"]]][column_of[c["special_action"]]] += c["overdue"]
    return {
        "today": today,
        "units": [{"id": u[0], "name": u[1], "kind": u[2]} for u in units],
        "special_actions": [{"id": a[0], "name": a[1], "campaign": a[2]} for a in actions],
        "overdue": matrix,
        "unit_totals": [sum(row) for row in matrix],
        "special_action_totals": [sum(row[j] for row in matrix) for j in range(len(actions))],
        "total": sum(sum(row) for row in matrix),
    }
