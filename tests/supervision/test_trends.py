"""The dashboard's trends and lists (supervision/trends.py) and their API, checked against counts made here.

A generated campaign is played through the services with time travelled day by day from its start:
tasks of three special actions (and of a second campaign, and of another county) across every status,
progress reports and close-outs at all hours (late on Sunday night, just after midnight on Monday), and
supervision orders, some overdue. Every figure is then counted again in Python over plain rows.
"""

import datetime
import random
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from supervision import services as supervision_services
from supervision import trends
from supervision.models import OrderStatus, SupervisionOrder
from tasks import services
from tasks.models import ProgressReport, Task, TaskStatus
from tasks.selectors import access_for

API = "/api/v1/dashboard/"
DAYS = 45  # "today" is the 45th day after the campaign's start
STACK_KEYS = ["closed", "awaiting_close", "in_progress", "not_started", "overdue", "cancelled"]


def moment(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


# ---- A generated campaign -------------------------------------------------------------------------------


def build_campaign(w, time_machine, n_tasks=40, seed=1207):
    """洪洞县's campaign (three special actions), a second campaign, 尧都区's, played over DAYS days."""
    rng = random.Random(seed)
    begin = w.campaign.start_date
    time_machine.move_to(moment(begin, 8), tick=False)
    g = SimpleNamespace(begin=begin, today=begin + datetime.timedelta(days=DAYS))

    g.zhaocheng = services.unit_create(by=None, name="赵城镇", kind="township", parent=w.county)
    g.units = [w.wanan, w.shanmu, w.yingji, w.mine, g.zhaocheng]
    g.officials = {
        w.wanan.pk: w.wanan_official,
        w.shanmu.pk: w.shanmu_official,
        w.yingji.pk: w.yingji_official,
        w.other_town.pk: w.other_official,
    }
    for unit in (w.mine, g.zhaocheng):
        g.officials[unit.pk] = services.person_create(
            by=None, username=f"official{unit.pk}", unit=unit, role="unit_official", password="x"
        )
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
        start_date=begin + datetime.timedelta(days=17),
        end_date=begin + datetime.timedelta(days=80),
        by=w.office,
    )
    g.supply = services.special_action_create(
        campaign=g.festival, name="保供稳价专项行动", code="BG", by=w.office
    )
    g.other_campaign = services.campaign_create(
        owner=w.other_county,
        name="尧都区冬季行动",
        code="YD",
        start_date=begin + datetime.timedelta(days=3),
        end_date=begin + datetime.timedelta(days=70),
        by=w.other_office,
    )
    g.other_action = services.special_action_create(
        campaign=g.other_campaign, name="尧都区安全生产专项行动", code="AQ", by=w.other_office
    )

    events = []  # (moment, order of creation, action)
    # Late at night and just after midnight (Asia/Shanghai) as well as office hours.
    times = [(0, 10), (7, 30), (9, 0), (15, 0), (23, 30)]

    def at(day, action, when=None):
        hour, minute = when or rng.choice(times)
        events.append((moment(begin + datetime.timedelta(days=day), hour, minute), len(events), action))

    def report(task):
        return lambda: services.progress_report(
            task=task,
            by=g.officials[task.lead_unit_id],
            percent=rng.randint(5, 95),
            done="推进",
            lowering_reason="复核",  # random percents go down too
        )

    def request(task):
        return lambda: services.task_request_close(task=task, by=g.officials[task.lead_unit_id])

    def close(task, office):
        return lambda: services.task_close(task=task, by=office)

    def cancel(task, office):
        return lambda: services.task_cancel(task=task, by=office, reason="任务调整")

    def plan(task, fate, first_day, office):
        if fate == "cancelled":
            at(rng.randint(first_day, DAYS), cancel(task, office))
            return
        if fate == "not_started":
            return
        day = first_day
        for _n in range(rng.randint(1, 4)):
            at(day, report(task), (9, 0) if day == first_day else None)
            day += rng.randint(1, 9)
            if day > DAYS - 2:
                break
        if fate in ("awaiting_close", "closed"):
            asked = rng.randint(day, DAYS - 1) if day < DAYS - 1 else DAYS - 1
            at(asked, request(task), (11, 0))
            if fate == "closed":
                at(min(asked + rng.randint(0, 3), DAYS), close(task, office), rng.choice([(16, 0), (23, 30)]))

    fates = ["not_started", "in_progress", "in_progress", "awaiting_close", "closed", "closed", "cancelled"]
    g.tasks = []

    def make_task(campaign, special_action, lead, title, first_day, office, by_day):
        start_date = begin + datetime.timedelta(days=by_day + rng.randint(0, 6))
        task = services.task_create(
            campaign=campaign,
            special_action=special_action,
            title=title,
            lead_unit=lead,
            start_date=start_date,
            deadline=start_date + datetime.timedelta(days=rng.randint(3, 50)),
            by=office,
        )
        g.tasks.append(task)
        plan(task, rng.choice(fates), first_day, office)
        return task

    pairs = [(w.campaign, w.safety), (w.campaign, g.economy), (w.campaign, g.ecology)]
    for i in range(n_tasks):
        campaign, special_action = rng.choice(pairs)
        make_task(
            campaign, special_action, rng.choice(g.units), f"重点任务{i}", rng.randint(1, 20), w.office, 0
        )

    # Whatever weekday the campaign starts on: a report late on a Sunday and one just after midnight.
    sunday = (monday(begin) + datetime.timedelta(days=13) - begin).days
    boundary = make_task(w.campaign, w.safety, w.wanan, "周末填报的任务", 1, w.office, 0)
    at(sunday, report(boundary), (23, 30))
    at(sunday + 1, report(boundary), (0, 10))

    def festival_tasks():
        for i in range(12):
            make_task(
                g.festival, g.supply, rng.choice(g.units), f"春节任务{i}", rng.randint(18, 30), w.office, 17
            )

    events.append((moment(begin + datetime.timedelta(days=17), 8), len(events), festival_tasks))

    def other_county_tasks():
        for i in range(4):
            make_task(
                g.other_campaign,
                g.other_action,
                w.other_town,
                f"尧都任务{i}",
                rng.randint(4, 20),
                w.other_office,
                3,
            )

    events.append((moment(begin + datetime.timedelta(days=3), 8), len(events), other_county_tasks))

    # Supervision orders from the city's group: some name a task, some are closed, many end up overdue.
    g.orders = []

    def issue(unit, deadline_in, steps, named):
        def action():
            order = supervision_services.order_issue(
                group=w.group,
                by=w.inspector,
                unit=unit,
                problem="问题",
                requirement="整改",
                deadline=timezone.localdate() + datetime.timedelta(days=deadline_in),
                tasks=[t for t in named if t.lead_unit_id == unit.pk][:1],
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

        return action

    for k in range(14):
        unit = g.units[k % len(g.units)]
        named = g.tasks if k % 4 else [t for t in g.tasks if t.campaign_id == w.campaign.pk]
        at(2 + 3 * k, issue(unit, [3, 8, 30][k % 3], k % 4 if k % 5 else 0, named), (14, 0))

    # Played in time order; an action may plan more (the festival's tasks plan their own reports).
    while events:
        events.sort(key=lambda e: (e[0], e[1]))
        when, _order, action = events.pop(0)
        time_machine.move_to(when, tick=False)
        action()
    time_machine.move_to(moment(g.today, 12), tick=False)
    return g


@pytest.fixture
def played(world, time_machine):
    return build_campaign(world, time_machine)


# ---- Counting again, in Python --------------------------------------------------------------------------


def visible_roots(user):
    access = access_for(user)
    return None if access.everything else access.roots()


def chosen_tasks(user, *, campaign=None, special_action=None, county=None, township=None):
    roots = visible_roots(user)
    rows = []
    for task in Task.objects.select_related("lead_unit").order_by("pk"):
        path = task.lead_unit.path
        if roots is not None and not any(path.startswith(root) for root in roots):
            continue
        if campaign is not None and task.campaign_id != campaign.pk:
            continue
        if special_action is not None and task.special_action_id != special_action.pk:
            continue
        if any(unit is not None and not path.startswith(unit.path) for unit in (county, township)):
            continue
        rows.append(task)
    return rows


def chosen_orders(user, *, campaign=None, special_action=None, county=None, township=None):
    roots = visible_roots(user)
    rows = []
    for order in SupervisionOrder.objects.select_related("unit").prefetch_related("tasks").order_by("pk"):
        path = order.unit.path
        if roots is not None and not any(path.startswith(root) for root in roots):
            continue
        if any(unit is not None and not path.startswith(unit.path) for unit in (county, township)):
            continue
        named = list(order.tasks.all())
        if campaign is not None and not any(t.campaign_id == campaign.pk for t in named):
            continue
        if special_action is not None and not any(t.special_action_id == special_action.pk for t in named):
            continue
        rows.append(order)
    return rows


def expected_bars(user, today, **filters):
    """{special action id: {tasks, and the six stacks}}: overdue first, else the status."""
    bars = {}
    for task in chosen_tasks(user, **filters):
        row = bars.setdefault(task.special_action_id, {"tasks": 0, **dict.fromkeys(STACK_KEYS, 0)})
        row["tasks"] += 1
        row["overdue" if task.flags_on(today)["is_overdue"] else task.status] += 1
    return bars


def expected_weeks(user, campaign, today, **filters):
    tasks = chosen_tasks(user, campaign=campaign, **filters)
    ids = {t.pk for t in tasks}
    closed_days = [timezone.localtime(t.closed_at).date() for t in tasks if t.closed_at]
    due_days = [t.deadline for t in tasks if t.status != TaskStatus.CANCELLED]
    report_days = [
        timezone.localtime(r.submitted_at).date() for r in ProgressReport.objects.all() if r.task_id in ids
    ]
    last = min(today, campaign.end_date)
    weeks = []
    start = monday(campaign.start_date)
    while last >= campaign.start_date and start <= last:
        end = start + datetime.timedelta(days=6)
        weeks.append(
            {
                "week": len(weeks) + 1,
                "start": start,
                "end": end,
                "closed": sum(start <= d <= end for d in closed_days),
                "closed_cumulative": sum(d <= end for d in closed_days),
                "planned": sum(start <= d <= end for d in due_days),
                "planned_cumulative": sum(d <= end for d in due_days),
                "reports": sum(start <= d <= end for d in report_days),
            }
        )
        start += datetime.timedelta(days=7)
    return {
        "today": today,
        "campaign": {
            "id": campaign.pk,
            "name": campaign.name,
            "start_date": campaign.start_date,
            "end_date": campaign.end_date,
        },
        "total": len(due_days),
        "weeks": weeks,
    }


def expected_overdue_tasks(user, today, **filters):
    overdue = [t for t in chosen_tasks(user, **filters) if t.flags_on(today)["is_overdue"]]
    overdue.sort(key=lambda t: (-(today - t.deadline).days, t.pk))
    return [(t.pk, t.code, t.lead_unit.name, t.deadline, (today - t.deadline).days) for t in overdue[:20]]


def expected_overdue_orders(user, today, **filters):
    overdue = [
        o for o in chosen_orders(user, **filters) if o.status != OrderStatus.CLOSED and o.deadline < today
    ]
    overdue.sort(key=lambda o: (-(today - o.deadline).days, o.pk))
    return [
        (o.pk, o.number, o.unit.name, o.deadline, (today - o.deadline).days, o.status) for o in overdue[:20]
    ]


def filter_cases(w, g):
    return {
        "none": {},
        "campaign": {"campaign": w.campaign},
        "festival": {"campaign": g.festival},
        "special_action": {"special_action": g.economy},
        "campaign_and_special_action": {"campaign": w.campaign, "special_action": w.safety},
        "county": {"county": w.county},
        "township": {"township": w.wanan},
        "campaign_and_township": {"campaign": w.campaign, "county": w.wanan},
    }


FILTERS = [
    "none",
    "campaign",
    "festival",
    "special_action",
    "campaign_and_special_action",
    "county",
    "township",
    "campaign_and_township",
]
VIEWERS = ["office", "wanan_official", "city_office", "other_official"]


def weeks_campaign(w, filters):
    """The campaign whose weeks the tests compare: the chosen one, else the special action's, else ours."""
    if filters.get("campaign") is not None:
        return filters["campaign"]
    if filters.get("special_action") is not None:
        return filters["special_action"].campaign
    return w.campaign


# ---- The generated campaign has a bit of everything -----------------------------------------------------


def test_generated_campaign_has_what_the_figures_need(world, played):
    tasks = chosen_tasks(world.office, campaign=world.campaign)
    assert {t.status for t in tasks} == {s.value for s in TaskStatus}
    assert any(t.flags_on(played.today)["is_overdue"] for t in tasks)
    closed_weeks = {monday(timezone.localtime(t.closed_at).date()) for t in tasks if t.closed_at}
    assert len(closed_weeks) >= 3
    report_times = [timezone.localtime(r.submitted_at) for r in ProgressReport.objects.all()]
    assert any(t.weekday() == 6 and t.hour == 23 for t in report_times), "no report late on a Sunday"
    assert any(t.weekday() == 0 and t.hour == 0 for t in report_times), (
        "no report just after Monday's midnight"
    )
    overdue_orders = [
        o for o in SupervisionOrder.objects.all() if o.status != "closed" and o.deadline < played.today
    ]
    assert len(overdue_orders) >= 3
    assert SupervisionOrder.objects.filter(status="closed").exists()
    for campaign in (played.festival, played.other_campaign):
        assert ProgressReport.objects.filter(task__campaign=campaign).exists(), campaign.name
    assert Task.objects.filter(campaign=played.festival, status="closed").exists()


# ---- Every figure against an independent count ---------------------------------------------------------


@pytest.mark.parametrize("viewer", VIEWERS)
def test_every_figure_matches_an_independent_count(world, played, viewer):
    # One generated campaign per viewer (it takes seconds to play), every filter over it.
    for case in FILTERS:
        check_every_figure(world, played, getattr(world, viewer), filter_cases(world, played)[case])


def check_every_figure(world, played, user, filters):
    today = played.today

    bars = trends.by_special_action(user, today=today, **filters)
    got = {a["id"]: {k: a[k] for k in ("tasks", *STACK_KEYS)} for a in bars["special_actions"]}
    assert got == expected_bars(user, today, **filters), "by special action"

    campaign = weeks_campaign(world, filters)
    others = {k: v for k, v in filters.items() if k != "campaign"}
    weeks = trends.weekly(user, today=today, campaign=campaign, **others)
    assert weeks == expected_weeks(user, campaign, today, **others), "weeks"

    lists = trends.overdue_lists(user, today=today, **filters)
    assert task_rows(lists["tasks"]) == expected_overdue_tasks(user, today, **filters), "overdue tasks"
    assert order_rows(lists["orders"]) == expected_overdue_orders(user, today, **filters), "overdue orders"


# ---- By special action ----------------------------------------------------------------------------------


def test_the_six_stacks_add_up_to_the_tasks_and_keep_the_special_actions_order(world, played):
    data = trends.by_special_action(world.office, today=played.today)
    assert [s["key"] for s in data["stacks"]] == STACK_KEYS
    assert [a["id"] for a in data["special_actions"]] == [
        world.safety.pk,
        played.economy.pk,
        played.ecology.pk,
        played.supply.pk,
    ]
    for action in data["special_actions"]:
        assert sum(action[k] for k in STACK_KEYS) == action["tasks"]


def test_an_overdue_task_is_counted_once_in_the_overdue_stack(world):
    world.task(
        start_date=world.campaign.start_date, deadline=timezone.localdate() - datetime.timedelta(days=2)
    )
    world.task()
    (action,) = trends.by_special_action(world.office)["special_actions"]
    assert (action["tasks"], action["overdue"], action["not_started"], action["in_progress"]) == (2, 1, 1, 0)


# ---- Week by week ---------------------------------------------------------------------------------------


def test_weeks_run_monday_to_sunday_from_the_campaigns_start_to_today(world, played):
    data = trends.weekly(world.office, campaign=world.campaign, today=played.today)
    weeks = data["weeks"]
    assert weeks[0]["start"] <= world.campaign.start_date <= weeks[0]["end"]
    assert weeks[-1]["start"] <= played.today <= weeks[-1]["end"]
    assert all(w["start"].weekday() == 0 and (w["end"] - w["start"]).days == 6 for w in weeks)
    assert [w["week"] for w in weeks] == list(range(1, len(weeks) + 1))
    assert weeks[-1]["closed_cumulative"] == sum(w["closed"] for w in weeks) > 0
    assert any(w["closed"] == 0 for w in weeks), "an empty week is filled with 0"


def test_weeks_stop_at_the_campaigns_end_and_a_campaign_not_started_has_none(world):
    today = timezone.localdate()
    ended = services.campaign_create(
        owner=world.county,
        name="去年冬季行动",
        code="QN",
        start_date=today - datetime.timedelta(days=70),
        end_date=today - datetime.timedelta(days=30),
        by=world.office,
    )
    future = services.campaign_create(
        owner=world.county,
        name="明年冬季行动",
        code="MN",
        start_date=today + datetime.timedelta(days=3),
        end_date=today + datetime.timedelta(days=90),
        by=world.office,
    )
    weeks = trends.weekly(world.office, campaign=ended)["weeks"]
    assert weeks[-1]["start"] <= ended.end_date <= weeks[-1]["end"]
    assert trends.weekly(world.office, campaign=future)["weeks"] == []


def test_a_report_late_on_sunday_counts_in_that_week_one_after_midnight_in_the_next(world, time_machine):
    today = timezone.localdate()
    sunday = monday(today) - datetime.timedelta(days=8)  # a Sunday more than a week ago
    time_machine.move_to(moment(sunday - datetime.timedelta(days=2), 9), tick=False)
    task = world.task(
        start_date=sunday - datetime.timedelta(days=3), deadline=sunday + datetime.timedelta(days=30)
    )
    # 23:30 on Sunday in Beijing is 15:30 UTC; 00:10 on Monday is still Sunday (16:10) in UTC.
    for when in (moment(sunday, 23, 30), moment(sunday + datetime.timedelta(days=1), 0, 10)):
        time_machine.move_to(when, tick=False)
        services.progress_report(task=task, by=world.wanan_official, percent=30, done="推进")
    time_machine.move_to(moment(sunday + datetime.timedelta(days=1), 0, 20), tick=False)
    services.task_request_close(task=task, by=world.wanan_official)
    services.task_close(task=task, by=world.office)
    time_machine.move_to(moment(today, 12), tick=False)
    weeks = {w["start"]: w for w in trends.weekly(world.office, campaign=world.campaign)["weeks"]}
    last_week, next_week = (
        weeks[sunday - datetime.timedelta(days=6)],
        weeks[sunday + datetime.timedelta(days=1)],
    )
    assert (last_week["reports"], next_week["reports"]) == (1, 1)
    assert (last_week["closed"], next_week["closed"]) == (0, 1)


def test_the_plan_counts_deadlines_by_the_end_of_each_week_and_leaves_out_cancelled_tasks(world):
    today = timezone.localdate()
    this_monday = monday(today)
    start = world.campaign.start_date
    world.task(start_date=start, deadline=this_monday - datetime.timedelta(days=1))  # last Sunday
    world.task(start_date=start, deadline=this_monday)  # this Monday
    world.task(start_date=start, deadline=this_monday + datetime.timedelta(days=20))  # after today's week
    cancelled = world.task(start_date=start, deadline=this_monday)
    services.task_cancel(task=cancelled, by=world.office, reason="任务调整")
    data = trends.weekly(world.office, campaign=world.campaign)
    last, this = data["weeks"][-2], data["weeks"][-1]
    assert (last["planned"], last["planned_cumulative"]) == (1, 1)
    assert (this["planned"], this["planned_cumulative"]) == (1, 2)
    assert data["total"] == 3


def test_without_a_campaign_the_weeks_are_the_special_actions_else_the_newest_campaigns(world, played):
    assert trends.weekly(world.office, special_action=played.economy)["campaign"]["id"] == world.campaign.pk
    assert trends.weekly(world.office)["campaign"]["id"] == played.festival.pk  # started last
    assert trends.weekly(world.other_official)["campaign"]["id"] == played.other_campaign.pk


def test_weeks_run_three_queries_and_four_without_a_campaign(world, played, django_assert_num_queries):
    access_for(world.office)
    with django_assert_num_queries(3):
        trends.weekly(world.office, campaign=world.campaign, special_action=world.safety, county=world.county)
    with django_assert_num_queries(4):
        trends.weekly(world.office)


# ---- The most overdue -----------------------------------------------------------------------------------


def task_rows(rows):
    return [(r["id"], r["code"], r["lead_unit_name"], r["deadline"], r["days_overdue"]) for r in rows]


def order_rows(rows):
    return [
        (r["id"], r["number"], r["unit_name"], r["deadline"], r["days_overdue"], r["status"]) for r in rows
    ]


def test_lists_keep_the_20_most_overdue_most_days_first(world, time_machine):
    today = timezone.localdate()
    start = today - datetime.timedelta(days=60)
    time_machine.move_to(moment(start, 9), tick=False)
    # 25 overdue tasks, deadlines 1–13 days ago (two on most days), and one not yet due.
    tasks = [
        world.task(
            title=f"任务{i}", start_date=start, deadline=today - datetime.timedelta(days=1 + (i * 7) % 13)
        )
        for i in range(25)
    ]
    world.task(title="未到期", start_date=start, deadline=today + datetime.timedelta(days=3))
    orders = []
    for i in range(24):
        orders.append(
            supervision_services.order_issue(
                group=world.group,
                by=world.inspector,
                unit=[world.wanan, world.shanmu, world.yingji][i % 3],
                problem="问题",
                requirement="整改",
                deadline=start + datetime.timedelta(days=1 + (i * 5) % 17),
            )
        )
    time_machine.move_to(moment(today, 12), tick=False)
    data = trends.overdue_lists(world.office)
    expected_tasks = sorted(tasks, key=lambda t: (t.deadline, t.pk))[:20]
    assert [r["id"] for r in data["tasks"]] == [t.pk for t in expected_tasks]
    assert [r["days_overdue"] for r in data["tasks"]] == sorted(
        (r["days_overdue"] for r in data["tasks"]), reverse=True
    )
    assert data["tasks"][0]["days_overdue"] == 13
    expected_orders = sorted(orders, key=lambda o: (o.deadline, o.pk))[:20]
    assert [r["id"] for r in data["orders"]] == [o.pk for o in expected_orders]
    assert data["limit"] == 20 and len(data["orders"]) == 20


def test_a_task_awaiting_close_out_is_not_on_the_overdue_list(world, time_machine):
    today = timezone.localdate()
    time_machine.move_to(moment(today - datetime.timedelta(days=10), 9), tick=False)
    task = world.task(
        start_date=today - datetime.timedelta(days=10), deadline=today - datetime.timedelta(days=3)
    )
    waiting = world.task(
        start_date=today - datetime.timedelta(days=10), deadline=today - datetime.timedelta(days=3)
    )
    services.progress_report(task=waiting, by=world.wanan_official, percent=100, done="完成")
    services.task_request_close(task=waiting, by=world.wanan_official)
    time_machine.move_to(moment(today, 12), tick=False)
    assert [r["id"] for r in trends.most_overdue_tasks(world.office)] == [task.pk]


# ---- A fixed number of queries whatever the size --------------------------------------------------------


def grow(w, time_machine, n, first):
    """n more tasks (reported, closed, overdue) led by n // 4 new townships, and an overdue order each,
    made a fortnight ago."""
    today = timezone.localdate()
    time_machine.move_to(moment(today - datetime.timedelta(days=15), 9), tick=False)
    for k in range(first, first + n // 4):
        unit = services.unit_create(by=None, name=f"新乡镇{k}", kind="township", parent=w.county)
        official = services.person_create(
            by=None, username=f"clerk{k}", unit=unit, role="unit_official", password="x"
        )
        action = services.special_action_create(
            campaign=w.campaign, name=f"专项行动{k}", code=f"Z{k}", by=w.office
        )
        for j in range(4):
            task = w.task(
                title=f"任务{k}-{j}",
                special_action=action,
                lead_unit=unit,
                start_date=w.campaign.start_date,
                deadline=today + datetime.timedelta(days=[-12, -2, 9, 20][j]),
            )
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
            deadline=today - datetime.timedelta(days=k % 9 + 1),
            tasks=[task],
        )
    time_machine.move_to(moment(today, 12), tick=False)


def counted(function, *args, **kwargs):
    with CaptureQueriesContext(connection) as captured:
        function(*args, **kwargs)
    return len(captured.captured_queries)


@pytest.mark.slow  # a large campaign: seconds apiece
@pytest.mark.parametrize(
    ("function", "queries"),
    [
        (trends.by_special_action, 1),
        (trends.weekly, 3),
        (trends.most_overdue_tasks, 1),
        (trends.most_overdue_orders, 1),
        (trends.trends, 4),
        (trends.overdue_lists, 2),
    ],
)
def test_functions_run_as_many_queries_for_a_large_campaign_as_for_a_small_one(
    world, time_machine, function, queries
):
    filters = {"campaign": world.campaign, "county": world.county}
    grow(world, time_machine, 8, first=0)
    access_for(world.office)
    small = counted(function, world.office, **filters)
    grow(world, time_machine, 120, first=100)
    large = counted(function, world.office, **filters)
    assert len(trends.most_overdue_tasks(world.office)) == 20
    assert small == large == queries


# ---- API ------------------------------------------------------------------------------------------------


def jsonable(value):
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


@pytest.mark.parametrize("viewer", ["office", "wanan_official"])
def test_endpoints_return_the_functions_numbers(world, played, api, viewer):
    user = getattr(world, viewer)
    client = api(user)
    for case in ("none", "campaign", "special_action", "county", "township", "festival"):
        filters = filter_cases(world, played)[case]
        if viewer == "wanan_official" and case == "county":
            filters = {"county": world.wanan}  # 洪洞县 itself is outside a township official's scope
        query = {name: row.pk for name, row in filters.items()}
        answer = client.get(API + "trends/", query)
        assert answer.status_code == 200, (case, answer.content)
        assert answer.json() == jsonable(trends.trends(user, **filters)), case
        answer = client.get(API + "overdue/", query)
        assert answer.status_code == 200, (case, answer.content)
        assert answer.json() == jsonable(trends.overdue_lists(user, **filters)), case


def test_endpoints_answer_the_independent_counts(world, played, api):
    client = api(world.office)
    data = client.get(API + "trends/", {"campaign": world.campaign.pk}).json()
    expected = expected_bars(world.office, played.today, campaign=world.campaign)
    assert {
        a["id"]: {k: a[k] for k in ("tasks", *STACK_KEYS)}
        for a in data["by_special_action"]["special_actions"]
    } == expected
    assert data["weekly"] == jsonable(expected_weeks(world.office, world.campaign, played.today))
    lists = client.get(API + "overdue/").json()
    assert [r["id"] for r in lists["tasks"]] == [
        row[0] for row in expected_overdue_tasks(world.office, played.today)
    ]
    assert [r["id"] for r in lists["orders"]] == [
        row[0] for row in expected_overdue_orders(world.office, played.today)
    ]


def test_read_only_token_reads_the_trends_and_lists(world, played, api):
    _token, plain = services.token_create(user=world.leader, by=world.leader, name="大屏", read_only=True)
    client = api(token=plain)
    assert client.get(API + "trends/").status_code == 200
    response = client.get(API + "overdue/")
    assert response.status_code == 200
    assert len(response.json()["tasks"]) == len(expected_overdue_tasks(world.leader, played.today))


@pytest.mark.parametrize("endpoint", ["trends", "overdue"])
def test_anonymous_caller_gets_401(api, db, endpoint):
    assert api().get(API + f"{endpoint}/").status_code == 401


@pytest.mark.parametrize("endpoint", ["trends", "overdue"])
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"campaign": "abc"}, "campaign"),
        ({"special_action": 999999}, "special_action"),
        ({"week": 1}, "week"),
    ],
)
def test_invalid_filter_is_a_400_in_the_error_shape(world, api, endpoint, query, field):
    response = api(world.office).get(API + f"{endpoint}/", query)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and field in response.json()["fields"]


def test_another_countys_campaign_is_refused_like_a_missing_one(world, played, api):
    client = api(world.other_official)
    outside = client.get(API + "trends/", {"campaign": world.campaign.pk})
    missing = client.get(API + "trends/", {"campaign": 999999})
    assert outside.status_code == missing.status_code == 400
    assert outside.json() == missing.json()


@pytest.mark.slow  # a large campaign: seconds apiece
@pytest.mark.parametrize(("endpoint", "figures_queries"), [("trends", 4), ("overdue", 2)])
def test_endpoint_runs_as_many_queries_for_a_large_campaign_as_for_a_small_one(
    world, time_machine, api, endpoint, figures_queries
):
    client = api(world.office)
    query = {"campaign": world.campaign.pk, "county": world.county.pk}

    def count():
        client.get(API + f"{endpoint}/", query)  # after travelling in time the session is saved once
        with CaptureQueriesContext(connection) as captured:
            assert client.get(API + f"{endpoint}/", query).status_code == 200
        return len(captured.captured_queries)

    grow(world, time_machine, 8, first=0)
    small = count()
    grow(world, time_machine, 120, first=100)
    large = count()
    # session, user, group scopes, two filter lookups, then the figures
    assert small == large == 5 + figures_queries


def test_without_a_campaign_the_trends_endpoint_names_the_campaign_of_its_weeks(world, played, api):
    data = api(world.office).get(API + "trends/", {"special_action": played.economy.pk}).json()
    assert data["weekly"]["campaign"]["id"] == world.campaign.pk
    assert [a["id"] for a in data["by_special_action"]["special_actions"]] == [played.economy.pk]
