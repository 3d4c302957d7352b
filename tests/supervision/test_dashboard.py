"""The dashboard's numbers (supervision/dashboard.py) and their API, checked against counts made here.

A generated county is built through the services with time travelled day by day: tasks across
statuses, dates and progress, close-outs requested on time, late and returned, supervision orders
closed and overdue. Every figure is then counted again in Python over plain rows.
"""

import datetime
import random
from collections import defaultdict
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from supervision import dashboard
from supervision import services as supervision_services
from supervision.models import OrderStatus, SupervisionOrder
from tasks import services
from tasks.models import EventKind, ProgressReport, Task, TaskEvent, TaskStatus, Unit
from tasks.selectors import access_for

API = "/api/v1/dashboard/"
DAYS = 25  # "today" is the 25th day of the generated history
# The default ranking policy (supervision.models.RankingPolicy), by the row figure each applies to.
POLICY = {
    "on_time_rate": 50,
    "timeliness": 30,
    "completion_rate": 20,
    "overdue": 3,
    "returned": 2,
    "overdue_orders": 2,
}


def moment(start: datetime.date, day: int, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(start + datetime.timedelta(days=day), datetime.time(hour, minute))
    )


# ---- A generated county -------------------------------------------------------------------------------


def build_county(w, time_machine, n_tasks=40, seed=2023):
    """Units, two campaigns of 洪洞县, one of 尧都区, ~n_tasks tasks and some orders, over DAYS days."""
    rng = random.Random(seed)
    start = timezone.localdate()
    time_machine.move_to(moment(start, 0, 8), tick=False)
    g = SimpleNamespace(start=start, today=start + datetime.timedelta(days=DAYS))

    def unit(name, kind, parent=None):
        return services.unit_create(by=None, name=name, kind=kind, parent=parent or w.county)

    g.zhaocheng = unit("赵城镇", "township")
    g.subao = unit("苏堡镇", "township")
    g.wenlv = unit("县文旅局", "department")
    g.zone = unit("洪洞经济技术开发区", "dev_zone")
    g.units = [w.wanan, w.shanmu, g.zhaocheng, g.subao, w.yingji, g.wenlv, g.zone, w.mine]
    g.officials = {
        w.wanan.pk: w.wanan_official,
        w.shanmu.pk: w.shanmu_official,
        w.yingji.pk: w.yingji_official,
    }
    for u in g.units:
        if u.pk not in g.officials:
            g.officials[u.pk] = services.person_create(
                by=None, username=f"official{u.pk}", unit=u, role="unit_official", password="x"
            )
    g.officials[w.other_town.pk] = w.other_official

    g.economy = services.special_action_create(
        campaign=w.campaign, name="经济运行专项行动", code="JJ", by=w.office
    )
    g.ecology = services.special_action_create(
        campaign=w.campaign, name="生态环保专项行动", code="ST", by=w.office
    )
    g.festival = services.campaign_create(
        owner=w.county,
        name="春节保障行动",
        code="CJ",
        start_date=start - datetime.timedelta(days=5),
        end_date=start + datetime.timedelta(days=60),
        by=w.office,
    )
    g.supply = services.special_action_create(
        campaign=g.festival, name="保供稳价专项行动", code="BG", by=w.office
    )
    g.other_campaign = services.campaign_create(
        owner=w.other_county,
        name="尧都区冬季行动",
        code="YD",
        start_date=start - datetime.timedelta(days=5),
        end_date=start + datetime.timedelta(days=60),
        by=w.other_office,
    )
    g.other_action = services.special_action_create(
        campaign=g.other_campaign, name="尧都区安全生产专项行动", code="AQ", by=w.other_office
    )
    pairs = [(w.campaign, w.safety), (w.campaign, g.economy), (w.campaign, g.ecology), (g.festival, g.supply)]

    events = []  # (moment, order of creation, action)

    def at(day, hour, action, minute=0):
        events.append((moment(start, day, hour, minute), len(events), action))

    def report(task, percent):
        return lambda: services.progress_report(
            task=task, by=g.officials[task.lead_unit_id], percent=percent, done="推进"
        )

    def request(task):
        return lambda: services.task_request_close(task=task, by=g.officials[task.lead_unit_id])

    def close(task, by):
        return lambda: services.task_close(task=task, by=by)

    def give_back(task, by):
        return lambda: services.task_return(task=task, by=by, reason="佐证不足")

    def cancel(task, by):
        return lambda: services.task_cancel(task=task, by=by, reason="任务调整")

    def plan(task, fate, office):
        first = rng.randint(1, 12)
        if fate == "cancelled":
            at(rng.randint(1, DAYS), 16, cancel(task, office))
            return
        if fate == "not_started":
            return
        at(first, 9, report(task, rng.randint(5, 60)))
        if fate == "in_progress":
            day = first + rng.randint(1, 13)
            if day <= DAYS:
                at(day, 9, report(task, rng.randint(60, 95)))
            return
        asked = rng.randint(first + 1, DAYS - 3)
        at(asked, 11, request(task))
        if fate == "returned":
            at(asked + 1, 15, give_back(task, office))
            asked = rng.randint(asked + 2, DAYS)
            at(asked, 11, request(task))
        if fate in ("closed", "returned"):
            at(min(asked + rng.randint(0, 3), DAYS), 15, close(task, office))

    fates = [
        "not_started",
        "in_progress",
        "in_progress",
        "awaiting_close",
        "closed",
        "closed",
        "returned",
        "cancelled",
    ]
    g.tasks = []
    for i in range(n_tasks):
        campaign, special_action = rng.choice(pairs)
        lead = rng.choice(g.units)
        task = services.task_create(
            campaign=campaign,
            special_action=special_action,
            title=f"重点任务{i}",
            lead_unit=lead,
            start_date=start + datetime.timedelta(days=rng.randint(-5, 3)),
            deadline=start + datetime.timedelta(days=rng.randint(4, 40)),
            by=w.office,
        )
        g.tasks.append(task)
        plan(task, rng.choice(fates), w.office)

    # The deadline day ends at midnight in Asia/Shanghai (16:00 UTC): requested at 23:30 is on time,
    # at 00:10 the next day late, though both fall on the deadline's date in UTC.
    for minute_after, title in ((-30, "截止日当晚申请销号"), (10, "截止次日凌晨申请销号")):
        task = services.task_create(
            campaign=w.campaign,
            special_action=w.safety,
            title=title,
            lead_unit=w.wanan,
            start_date=start,
            deadline=start + datetime.timedelta(days=10),
            by=w.office,
        )
        g.tasks.append(task)
        at(2, 9, report(task, 50))
        when = moment(start, 11, 0, 0) + datetime.timedelta(minutes=minute_after)
        events.append((when, len(events), request(task)))
        at(12, 15, close(task, w.office))
    g.on_time_boundary, g.late_boundary = g.tasks[-2], g.tasks[-1]

    # 尧都区: tasks no one in 洪洞县 reads.
    for i in range(3):
        task = services.task_create(
            campaign=g.other_campaign,
            special_action=g.other_action,
            title=f"尧都任务{i}",
            lead_unit=w.other_town,
            start_date=start - datetime.timedelta(days=3),
            deadline=start + datetime.timedelta(days=5 + 10 * i),
            by=w.other_office,
        )
        g.tasks.append(task)
        at(1 + i, 9, report(task, 30))

    # Supervision orders from the city's group, some naming tasks, some closed, some overdue.
    g.orders = []

    def issue(day, unit, deadline_in, steps, tasks=()):
        def action():
            order = supervision_services.order_issue(
                group=w.group,
                by=w.inspector,
                unit=unit,
                problem="问题",
                requirement="整改",
                deadline=timezone.localdate() + datetime.timedelta(days=deadline_in),
                tasks=list(tasks),
            )
            g.orders.append(order)
            official = g.officials[unit.pk]
            if steps >= 1:
                order = supervision_services.order_acknowledge(order=order, by=official)
            if steps >= 2:
                order = supervision_services.order_report_rectification(
                    order=order, by=official, text="已整改"
                )
            if steps >= 3:
                supervision_services.order_verify(order=order, by=w.inspector)

        at(day, 14, action)

    hd_tasks = [t for t in g.tasks if t.campaign_id == w.campaign.pk]
    festival_tasks = [t for t in g.tasks if t.campaign_id == g.festival.pk]
    for k in range(9):
        unit = g.units[k % len(g.units)]
        named = [t for t in (hd_tasks if k % 3 else festival_tasks) if t.lead_unit_id == unit.pk][:1]
        issue(2 + 2 * k, unit, deadline_in=[3, 10, 30][k % 3], steps=k % 4, tasks=named)

    for when, _order, action in sorted(events, key=lambda e: (e[0], e[1])):
        time_machine.move_to(when, tick=False)
        action()
    time_machine.move_to(moment(start, DAYS, 12), tick=False)
    return g


@pytest.fixture
def county(world, time_machine):
    return build_county(world, time_machine)


# ---- Counting again, in Python ------------------------------------------------------------------------


def visible_paths(user):
    access = access_for(user)
    return None if access.everything else access.roots()


def chosen_tasks(user, *, campaign=None, special_action=None, county=None):
    roots = visible_paths(user)
    rows = []
    for task in Task.objects.select_related("lead_unit"):
        if roots is not None and not any(task.lead_unit.path.startswith(root) for root in roots):
            continue
        if campaign is not None and task.campaign_id != campaign.pk:
            continue
        if special_action is not None and task.special_action_id != special_action.pk:
            continue
        if county is not None and not task.lead_unit.path.startswith(county.path):
            continue
        rows.append(task)
    return rows


def chosen_orders(user, *, campaign=None, special_action=None, county=None):
    """Orders addressed in the viewer's subtrees or issued by their groups; with a campaign, those naming
    one of its tasks and those naming none issued during it under its owner."""
    roots = visible_paths(user)
    groups = set(user.supervision_groups.values_list("pk", flat=True))
    rows = []
    for order in SupervisionOrder.objects.select_related("unit").prefetch_related("tasks"):
        if (
            roots is not None
            and not any(order.unit.path.startswith(root) for root in roots)
            and order.group_id not in groups
        ):
            continue
        if county is not None and not order.unit.path.startswith(county.path):
            continue
        named = list(order.tasks.all())
        if campaign is not None and not (
            any(t.campaign_id == campaign.pk for t in named)
            or (
                not named
                and order.unit.path.startswith(campaign.owner.path)
                and campaign.start_date <= timezone.localtime(order.issued_at).date() <= campaign.end_date
            )
        ):
            continue
        if special_action is not None and not any(t.special_action_id == special_action.pk for t in named):
            continue
        rows.append(order)
    return rows


def close_request_days():
    days = defaultdict(list)
    for event in TaskEvent.objects.filter(kind=EventKind.CLOSE_REQUESTED):
        days[event.task_id].append(timezone.localtime(event.at).date())
    return days


def last_lead_report_days():
    last = {}
    for report in ProgressReport.objects.select_related("task"):
        if report.unit_id == report.task.lead_unit_id:
            day = timezone.localtime(report.submitted_at).date()
            last[report.task_id] = max(day, last.get(report.task_id, day))
    return last


def percent(part, whole):
    return round(100 * part / whole, 1) if whole else None


def figures(tasks, orders, today):
    requests = close_request_days()
    reports = last_lead_report_days()
    flags = {t.pk: t.flags_on(today) for t in tasks}
    status = defaultdict(int)
    for t in tasks:
        status[t.status] += 1
    overdue = [t for t in tasks if flags[t.pk]["is_overdue"]]
    on_time = [
        t
        for t in tasks
        if t.status == TaskStatus.CLOSED
        and requests[t.pk]
        and all(day <= t.deadline for day in requests[t.pk])
    ]
    in_progress = [t for t in tasks if t.status == TaskStatus.IN_PROGRESS]
    fresh_from = today - datetime.timedelta(days=6)
    reported = [
        t
        for t in in_progress
        if (t.pk in reports and reports[t.pk] >= fresh_from)
        or (t.pk not in reports and t.start_date > today - datetime.timedelta(days=7))
    ]
    closed = status[TaskStatus.CLOSED]
    return {
        "tasks": len(tasks),
        "not_started": status[TaskStatus.NOT_STARTED],
        "in_progress": status[TaskStatus.IN_PROGRESS],
        "awaiting_close": status[TaskStatus.AWAITING_CLOSE],
        "closed": closed,
        "cancelled": status[TaskStatus.CANCELLED],
        "overdue": len(overdue),
        "overdue_days": sum((today - t.deadline).days for t in overdue),
        "due_soon": sum(flags[t.pk]["is_due_soon"] for t in tasks),
        "behind": sum(flags[t.pk]["is_behind"] for t in tasks),
        "on_time": len(on_time),
        "reported": len(reported),
        "completion_rate": percent(closed, len(tasks) - status[TaskStatus.CANCELLED]),
        "on_time_rate": percent(len(on_time), closed + len(overdue)),
        "timeliness": percent(len(reported), len(in_progress)),
        "open_orders": sum(o.status != OrderStatus.CLOSED for o in orders),
        "overdue_orders": sum(o.status != OrderStatus.CLOSED and o.deadline < today for o in orders),
    }


def expected_summary(user, today, **filters):
    counted = figures(chosen_tasks(user, **filters), chosen_orders(user, **filters), today)
    del counted["reported"], counted["timeliness"]
    return {"today": today, **counted}


def returned_counts():
    counts = defaultdict(int)
    for event in TaskEvent.objects.filter(kind=EventKind.RETURNED):
        counts[event.task_id] += 1
    return counts


def expected_score(mine, policy=POLICY):
    """The published formula, counted again: weighted rates (empty ones left out and the rest scaled to
    100), minus the penalties; None with nothing to measure."""
    rates = [
        (mine[name] / 100, policy[name])
        for name in ("on_time_rate", "timeliness", "completion_rate")
        if mine[name] is not None
    ]
    total = sum(weight for _share, weight in rates)
    if not total:
        return None
    base = 100 * sum(share * weight for share, weight in rates) / total
    penalties = sum(policy[name] * mine[name] for name in ("overdue", "returned", "overdue_orders"))
    return round(base - penalties, 1)


def expected_ranking(user, today, **filters):
    tasks = chosen_tasks(user, **filters)
    orders = chosen_orders(user, **filters)
    returned = returned_counts()
    by_kind = defaultdict(list)
    for unit in sorted({t.lead_unit for t in tasks}, key=lambda u: u.pk):
        mine_tasks = [t for t in tasks if t.lead_unit_id == unit.pk]
        mine = figures(mine_tasks, [o for o in orders if o.unit_id == unit.pk], today)
        mine["returned"] = sum(returned[t.pk] for t in mine_tasks)
        by_kind[unit.kind].append((expected_score(mine), mine, unit))
    result = {}
    for kind, rows in by_kind.items():
        scored = sorted(
            (r for r in rows if r[0] is not None), key=lambda r: (-r[0], r[1]["overdue"], r[2].name, r[2].pk)
        )
        unscored = sorted((r for r in rows if r[0] is None), key=lambda r: (r[2].name, r[2].pk))
        scores = [r[0] for r in scored]
        result[kind] = [
            {
                "rank": None if score is None else 1 + sum(other > score for other in scores),
                "tied": score is not None and scores.count(score) > 1,
                "unit": unit.pk,
                "name": unit.name,
                "score": score,
                **{
                    k: mine[k]
                    for k in ("tasks", "closed", "overdue", "overdue_days", "on_time_rate", "timeliness")
                },
                **{
                    k: mine[k]
                    for k in (
                        "open_orders",
                        "overdue_orders",
                        "in_progress",
                        "reported",
                        "on_time",
                        "completion_rate",
                        "returned",
                    )
                },
            }
            for score, mine, unit in scored + unscored
        ]
    return result


def ranking_by_kind(data):
    keys = (
        "rank tied unit name score tasks closed overdue overdue_days on_time_rate timeliness "
        "open_orders overdue_orders in_progress reported on_time completion_rate returned"
    ).split()
    return {group["kind"]: [{k: row[k] for k in keys} for row in group["rows"]] for group in data["groups"]}


def expected_heatmap(user, today, **filters):
    cells = defaultdict(int)
    for t in chosen_tasks(user, **filters):
        cells[(t.lead_unit_id, t.special_action_id)] += t.flags_on(today)["is_overdue"]
    return dict(cells)


def heatmap_cells(data):
    return {
        (unit["id"], action["id"]): data["overdue"][i][j]
        for i, unit in enumerate(data["units"])
        for j, action in enumerate(data["special_actions"])
    }


# ---- The generated county has a bit of everything ----------------------------------------------------------


def test_generated_county_has_every_kind_of_task(world, county):
    statuses = set(Task.objects.values_list("status", flat=True))
    assert statuses == {s.value for s in TaskStatus}
    counted = figures(chosen_tasks(world.office), chosen_orders(world.office), county.today)
    assert counted["overdue"] and counted["on_time"] and counted["closed"] > counted["on_time"]
    assert counted["due_soon"] and counted["behind"] and counted["reported"] < counted["in_progress"]
    assert counted["open_orders"] and counted["overdue_orders"]
    assert Task.objects.filter(status="closed", closed_late=True).exists()
    assert Task.objects.filter(status="closed", closed_late=False).exists()


# ---- Summary -----------------------------------------------------------------------------------------------


def filter_cases(w, g):
    return {
        "none": {},
        "campaign": {"campaign": w.campaign},
        "festival": {"campaign": g.festival},
        "special_action": {"special_action": g.economy},
        "county": {"county": w.county},
        "township": {"county": w.wanan},
        "campaign_and_township": {"campaign": w.campaign, "county": w.wanan},
    }


FILTERS = ["none", "campaign", "festival", "special_action", "county", "township", "campaign_and_township"]
VIEWERS = ["office", "city_office", "other_official", "inspector"]


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("case", FILTERS)
def test_summary_matches_an_independent_count(world, county, viewer, case):
    user = getattr(world, viewer)
    filters = filter_cases(world, county)[case]
    assert dashboard.summary(user, today=county.today, **filters) == expected_summary(
        user, county.today, **filters
    )


def test_summary_of_another_countys_official_is_all_zeros_for_our_campaign(world, county):
    figures_ = dashboard.summary(world.other_official, campaign=world.campaign, today=county.today)
    assert {k: v for k, v in figures_.items() if k != "today" and v} == {}
    assert figures_["completion_rate"] is None and figures_["on_time_rate"] is None


def test_other_countys_official_sees_only_their_county(world, county):
    figures_ = dashboard.summary(world.other_official, today=county.today)
    assert figures_["tasks"] == 3 and figures_["open_orders"] == 0


def test_on_time_follows_the_close_request_in_shanghai_time(world, county):
    rows = dashboard.scoped_tasks(world.office).filter(dashboard.on_time_q())
    assert rows.filter(pk=county.on_time_boundary.pk).exists()
    assert not rows.filter(pk=county.late_boundary.pk).exists()
    # Both closed a day after the deadline: `closed_late` alone would call both late.
    assert county.on_time_boundary.__class__.objects.get(pk=county.on_time_boundary.pk).closed_late


def test_a_close_request_returned_and_asked_again_late_is_not_on_time(world, time_machine):
    start = timezone.localdate()
    time_machine.move_to(moment(start, 0), tick=False)
    task = world.task(start_date=start, deadline=start + datetime.timedelta(days=5))
    services.progress_report(task=task, by=world.wanan_official, percent=50, done="推进")
    services.task_request_close(task=task, by=world.wanan_official)
    services.task_return(task=task, by=world.office, reason="佐证不足")
    time_machine.move_to(moment(start, 7), tick=False)
    services.task_request_close(task=task, by=world.wanan_official)
    services.task_close(task=task, by=world.office)
    figures_ = dashboard.summary(world.office)
    assert (figures_["closed"], figures_["on_time"], figures_["on_time_rate"]) == (1, 0, 0.0)


def test_summary_runs_one_query(world, county, django_assert_num_queries):
    access_for(world.office)  # worked out once per user, before the figures
    with django_assert_num_queries(1):
        dashboard.summary(world.office, campaign=world.campaign, county=world.county)


def test_orders_count_where_no_task_is(world, county, django_assert_num_queries):
    # A county with no task in the filter's scope still counts the orders addressed there (a second query).
    quiet = services.unit_create(by=world.office, name="县档案馆", kind="department", parent=world.county)
    access_for(world.office)
    with django_assert_num_queries(2):
        figures_ = dashboard.summary(world.office, county=quiet)
    assert (figures_["tasks"], figures_["open_orders"]) == (0, 0)


# ---- Ranking -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("case", FILTERS)
def test_ranking_matches_an_independent_count(world, county, viewer, case):
    user = getattr(world, viewer)
    filters = filter_cases(world, county)[case]
    data = dashboard.ranking(user, today=county.today, **filters)
    assert ranking_by_kind(data) == expected_ranking(user, county.today, **filters)


def test_departments_and_townships_are_ranked_apart(world, county):
    data = dashboard.ranking(world.office, today=county.today)
    kinds = [group["kind"] for group in data["groups"]]
    assert kinds[:2] == ["department", "township"]
    for group in data["groups"]:
        assert [row["rank"] for row in group["rows"]] == list(range(1, len(group["rows"]) + 1))
        assert {row["kind"] for row in group["rows"]} == {group["kind"]}
        scores = [row["score"] for row in group["rows"]]
        assert scores == sorted(scores, reverse=True)
    assert data["weights"] == POLICY and "50 × " in data["formula"] and data["max_score"] == 100


def test_ranking_runs_four_queries_when_no_snapshot_compares(world, county, django_assert_num_queries):
    # The campaign's ranking policy, the tasks, the orders, the cards; no last week with a special action
    # (five with one: test_snapshots).
    access_for(world.office)
    with django_assert_num_queries(4):
        dashboard.ranking(world.office, special_action=world.safety)


def test_ranking_without_a_viewer_ranks_everything(world, county):
    data = dashboard.ranking(None, campaign=world.campaign, county=world.county, today=county.today)
    assert ranking_by_kind(data) == ranking_by_kind(
        dashboard.ranking(world.office, campaign=world.campaign, county=world.county, today=county.today)
    )
    everything = dashboard.summary(None, today=county.today)
    assert everything["tasks"] == Task.objects.count()


# ---- Heat map ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("case", FILTERS)
def test_heatmap_matches_an_independent_count(world, county, viewer, case):
    user = getattr(world, viewer)
    filters = filter_cases(world, county)[case]
    data = dashboard.heatmap(user, today=county.today, **filters)
    expected = expected_heatmap(user, county.today, **filters)
    cells = heatmap_cells(data)
    assert {k: v for k, v in cells.items() if v} == {k: v for k, v in expected.items() if v}
    assert {u for u, _a in expected} == {u["id"] for u in data["units"]}
    assert {a for _u, a in expected} == {a["id"] for a in data["special_actions"]}
    assert (
        data["total"]
        == sum(expected.values())
        == sum(data["unit_totals"])
        == sum(data["special_action_totals"])
    )


def test_heatmap_runs_one_query(world, county, django_assert_num_queries):
    access_for(world.office)
    with django_assert_num_queries(1):
        dashboard.heatmap(world.office)


# ---- API ---------------------------------------------------------------------------------------------------------


def jsonable(value):
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


@pytest.mark.parametrize("endpoint", ["summary", "ranking", "heatmap"])
@pytest.mark.parametrize("case", ["none", "campaign", "special_action", "county"])
def test_endpoint_returns_the_functions_numbers(world, county, api, endpoint, case):
    filters = filter_cases(world, county)[case]
    query = {name: row.pk for name, row in filters.items()}
    response = api(world.office).get(API + f"{endpoint}/", query)
    assert response.status_code == 200, response.content
    assert response.json() == jsonable(getattr(dashboard, endpoint)(world.office, **filters))


def test_read_only_token_reads_the_dashboard(world, county, api):
    _token, plain = services.token_create(user=world.leader, by=world.leader, name="大屏", read_only=True)
    response = api(token=plain).get(API + "summary/")
    assert response.status_code == 200
    assert response.json()["tasks"] == len(chosen_tasks(world.leader))


def test_anonymous_caller_gets_401(api, db):
    assert api().get(API + "summary/").status_code == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"campaign": "abc"}, "campaign"),
        ({"campaign": 0}, "campaign"),
        ({"campaign": 999999}, "campaign"),
        ({"special_action": ""}, "special_action"),
        ({"county": "1.5"}, "county"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_filter_is_a_400_in_the_error_shape(world, api, query, field):
    response = api(world.office).get(API + "ranking/", query)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and field in response.json()["fields"]


def test_ids_outside_the_callers_scope_are_refused_like_missing_ones(world, county, api):
    client = api(world.other_official)
    outside = client.get(API + "summary/", {"campaign": world.campaign.pk})
    missing = client.get(API + "summary/", {"campaign": 999999})
    assert outside.status_code == missing.status_code == 400
    assert outside.json() == missing.json()
    assert client.get(API + "heatmap/", {"county": world.county.pk}).status_code == 400


def test_a_filter_given_twice_is_refused(world, api):
    response = api(world.office).get(f"{API}summary/?county={world.county.pk}&county={world.wanan.pk}")
    assert response.status_code == 400


# ---- A fixed number of queries whatever the size -------------------------------------------------------------------


def grow(w, n, first):
    """n more tasks (some reported, closed or overdue) led by n // 4 new townships, and an order each."""
    today = timezone.localdate()
    for k in range(first, first + n // 4):
        unit = services.unit_create(by=None, name=f"新乡镇{k}", kind="township", parent=w.county)
        official = services.person_create(
            by=None, username=f"clerk{k}", unit=unit, role="unit_official", password="x"
        )
        for j in range(4):
            task = w.task(
                title=f"任务{k}-{j}",
                lead_unit=unit,
                start_date=today - datetime.timedelta(days=10),
                deadline=today + datetime.timedelta(days=[-2, 3, 9, 20][j]),
            )
            if j >= 2:
                services.progress_report(task=task, by=official, percent=40, done="推进")
            if j == 3:
                services.task_request_close(task=task, by=official)
                services.task_close(task=task, by=w.office)
        supervision_services.order_issue(
            group=w.group,
            by=w.inspector,
            unit=unit,
            problem="问题",
            requirement="整改",
            deadline=today,
            tasks=[task],
        )


@pytest.mark.slow  # a large campaign: seconds apiece
@pytest.mark.parametrize("endpoint", ["summary", "ranking", "heatmap"])
def test_endpoint_runs_as_many_queries_for_a_large_campaign_as_for_a_small_one(world, api, endpoint):
    client = api(world.office)
    query = {"campaign": world.campaign.pk, "special_action": world.safety.pk, "county": world.county.pk}

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(API + f"{endpoint}/", query).status_code == 200
        return len(captured.captured_queries)

    grow(world, 8, first=0)
    small = count()
    grow(world, 160, first=100)
    large = count()
    assert Unit.objects.filter(kind="township").count() > 40
    # session, user, group scopes, three filter lookups, then the figures (1, 4 or 1: the ranking's
    # policy, tasks, orders, cards; no last week with a special action)
    figures_queries = {"summary": 1, "ranking": 4, "heatmap": 1}[endpoint]
    assert small == large == 6 + figures_queries
