"""A small county with tasks in every state, for the tests that hold the benchmark's fast paths and
minimal views to our answers (the comparison is honest only while the answers are the same)."""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from supervision import services as supervision_services
from supervision.services import group_create
from tasks import services

TODAY = 20  # "today" is the 20th day of the story below


def moment(start: datetime.date, day: int, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(start + datetime.timedelta(days=day), datetime.time(hour))
    )


@pytest.fixture
def story(world, time_machine):
    """洪洞县 over 20 days: tasks not started, reporting and silent, awaiting close-out, closed on time, late
    and after a return, cancelled; cooperating units, a responsible leader, subtasks, an approved
    extension, supervision orders open, overdue and closed, a yellow card; a group limited to one special
    action; mail endpoints for a township and a group, a leader with an email address; a task in 尧都区.
    The clock stops at noon on day 20."""
    w = world
    start = timezone.localdate()
    s = SimpleNamespace(start=start, today=start + datetime.timedelta(days=TODAY))

    def day(n, hour=10):
        time_machine.move_to(moment(start, n, hour), tick=False)

    def when(n):
        return start + datetime.timedelta(days=n)

    day(0, 8)
    s.economy = services.special_action_create(
        campaign=w.campaign, name="经济运行专项行动", code="JJ", by=w.office
    )
    # The county's 两办 office sits in a department (县委办), not in the county itself, as in a generated
    # province: its home region is found above its unit, next to its groups' scopes.
    s.duty = services.person_create(
        by=None, username="duty_office", unit=w.yingji, role="office", position="督查室副主任"
    )
    group_create(
        name="市安全生产专项督导组",
        issuing_unit=w.city,
        by=w.city_office,
        scope_units=[w.county],
        scope_special_actions=[w.safety],
        members=[w.other_office, s.duty],
    )
    group_create(
        name="县委办县政府办联合督查组",
        issuing_unit=w.county,
        by=w.office,
        scope_units=[w.wanan, w.shanmu],
        members=[s.duty],
    )

    deputy = services.person_create(
        by=None,
        username="deputy",
        unit=w.county,
        role="leader",
        position="副县长",
        email="deputy@example.com",
    )
    supervision_services.endpoint_create(
        by=w.office, channel="email", address="wanan@example.com", unit=w.wanan
    )
    supervision_services.endpoint_create(
        by=w.city_office, channel="email", address="group6@example.com", group=w.group
    )
    mine_official = services.person_create(
        by=None, username="mine_safety", unit=w.mine, role="unit_official", position="安全科长", password="x"
    )

    def task(title, lead, deadline, **kwargs):
        return w.task(title=title, lead_unit=lead, start_date=start, deadline=when(deadline), **kwargs)

    s.waiting = task(
        "未启动的排查", w.wanan, 3, cooperating_units=[w.shanmu, w.yingji], responsible_leader=w.leader
    )
    s.reporting = task("按周填报", w.shanmu, 30, special_action=s.economy)
    s.silent = task("久未填报", w.yingji, 25, cooperating_units=[w.wanan])
    s.awaiting = task("待销号", w.wanan, 25)
    s.on_time = task("按期销号", w.mine, 6)
    s.late = task("逾期销号", w.wanan, 2)
    s.returned = task("退回后再申请", w.shanmu, 5)
    s.cancelled = task("已撤销", w.yingji, 9)
    s.parent = task("上级任务", w.county, 28)
    s.children = [
        w.task(title=f"子任务{i}", lead_unit=w.wanan, start_date=start, deadline=when(26), parent=s.parent)
        for i in range(3)
    ]
    s.extended = task("批准延期", w.yingji, 4)
    s.forgotten = [task(f"长期逾期{i}", w.yingji, 3 + i, responsible_leader=deputy) for i in range(2)]
    s.due_soon = task("临期", w.shanmu, 23)
    s.elsewhere = services.campaign_create(
        owner=w.other_county,
        name="尧都区冬季行动",
        code="YD",
        start_date=start,
        end_date=when(60),
        by=w.other_office,
    )
    other_action = services.special_action_create(
        campaign=s.elsewhere, name="尧都区安全生产专项行动", code="AQ", by=w.other_office
    )
    s.other = services.task_create(
        campaign=s.elsewhere,
        special_action=other_action,
        title="尧都任务",
        lead_unit=w.other_town,
        deadline=when(8),
        by=w.other_office,
    )

    def report(t, by, percent):
        services.progress_report(task=t, by=by, percent=percent, done="推进")

    day(1)
    report(s.silent, w.yingji_official, 20)
    report(s.awaiting, w.wanan_official, 40)
    report(s.on_time, mine_official, 50)
    report(s.extended, w.yingji_official, 30)
    services.task_cancel(task=s.children[2], by=w.office, reason="合并")
    day(2)
    report(s.late, w.wanan_official, 60)
    report(s.returned, w.shanmu_official, 70)
    report(s.children[0], w.wanan_official, 40)
    services.task_cancel(task=s.cancelled, by=w.office, reason="任务调整")
    extension = services.extension_request(
        task=s.extended, by=w.yingji_official, new_deadline=when(24), reason="设备未到"
    )
    services.extension_decide(extension=extension, by=w.office, approve=True)
    day(3)
    services.task_request_close(task=s.returned, by=w.shanmu_official)
    s.order_late = supervision_services.order_issue(
        group=w.group,
        by=w.inspector,
        unit=w.wanan,
        problem="台账不全",
        requirement="补齐台账",
        deadline=when(12),
    )
    s.order_done = supervision_services.order_issue(
        group=w.group, by=w.inspector, unit=w.shanmu, problem="隐患未改", requirement="限期整改", deadline=when(15),
        tasks=[s.returned],
    )  # fmt: skip
    day(4)
    services.task_request_close(task=s.on_time, by=mine_official)
    services.task_request_close(task=s.late, by=w.wanan_official)
    services.task_return(task=s.returned, by=w.office, reason="佐证不足")
    s.order_done = supervision_services.order_acknowledge(order=s.order_done, by=w.shanmu_official)
    day(5)
    services.task_close(task=s.on_time, by=w.office)
    services.task_request_close(task=s.awaiting, by=w.wanan_official)
    s.order_done = supervision_services.order_report_rectification(
        order=s.order_done, by=w.shanmu_official, text="已整改"
    )
    day(6)
    services.task_close(task=s.late, by=w.office)
    report(s.children[1], w.wanan_official, 80)
    s.order_done = supervision_services.order_verify(order=s.order_done, by=w.inspector)
    day(7)
    services.task_request_close(task=s.returned, by=w.shanmu_official)
    day(8)
    services.task_close(task=s.returned, by=w.office)
    day(16)
    report(s.reporting, w.shanmu_official, 45)
    report(s.due_soon, w.shanmu_official, 10)
    day(TODAY, 7)
    supervision_services.cards_propose(today=s.today)
    for card in w.yingji.cards.all():
        supervision_services.card_issue(card=card, by=w.office, reason="两项任务逾期超过一周")
    day(TODAY, 12)
    return s
