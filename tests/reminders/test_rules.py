"""The reminder rules (supervision/reminders.py) on their boundary days, in travelled time.

Every test starts on Monday 2026-08-31 (Asia/Shanghai), where the county of conftest's `world` is
made, and scans day after day at 08:30 as the beat schedule would. The dates are real 2026 dates:
weekends, 中秋 (Fri 25 Sep), 国庆 (1–7 Oct) and the make-up working days 20 Sep and 10 Oct come
from the `holidays` package. `sent(...)` answers which days a reminder went out, and at which step.
"""

import datetime
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import Count

from supervision import reminders, workdays
from supervision.messages import render
from supervision.models import (
    Channel,
    Delivery,
    InboxItem,
    Notification,
    NotifyEndpoint,
    ReminderRule,
    SupervisionGroup,
)
from supervision.services import (
    chase_task,
    group_create,
    group_set_members,
    order_acknowledge,
    order_issue,
    order_report_rectification,
    order_verify,
    policy_update,
)
from tasks import services
from tasks.models import Milestone, Person, Task, TaskCooperation, TaskEvent, TaskStatus
from tests.reminders.conftest import clear_handoffs

SHANGHAI = ZoneInfo("Asia/Shanghai")
RULE = ReminderRule


def d(month: int, day: int) -> datetime.date:
    return datetime.date(2026, month, day)


def day_number(day: datetime.date) -> int:
    return (day - datetime.date(1970, 1, 1)).days


@pytest.fixture
def travel(time_machine):
    def to(day: datetime.date, at: datetime.time = datetime.time(8, 30)) -> datetime.date:
        time_machine.move_to(datetime.datetime.combine(day, at, tzinfo=SHANGHAI), tick=False)
        return day

    return to


@pytest.fixture
def w(db, request, travel):
    """conftest's county, made on Monday 2026-08-31 at 09:00 (its tasks start on 2026-08-21)."""
    travel(d(8, 31), datetime.time(9))
    return request.getfixturevalue("world")


def scan_days(travel, first: datetime.date, last: datetime.date) -> None:
    """The beat schedule: a scan every day at 08:30 (the scan itself skips non-working days)."""
    day = first
    while day <= last:
        travel(day)
        reminders.scan()
        day += datetime.timedelta(days=1)


def sent(**where) -> list[tuple[datetime.date, int]]:
    """(day, step) of every notification matching `where`, in order."""
    return list(Notification.objects.filter(**where).order_by("day", "step").values_list("day", "step"))


def days_sent(**where) -> list[datetime.date]:
    return [day for day, _step in sent(**where)]


def issue_order(w, **kwargs):
    values = {
        "group": w.group,
        "by": w.inspector,
        "unit": w.wanan,
        "problem": "万安煤业井下作业规程未落实",
        "requirement": "立即停产整顿,逐项整改",
        "deadline": d(9, 18),
    }
    values.update(kwargs)
    order = order_issue(**values)
    clear_handoffs()
    return order


def report(task, by, **kwargs):
    return services.progress_report(
        task=task, by=by, percent=kwargs.pop("percent", 30), done="已排查 12 处", **kwargs
    )


def person(username, unit, role, **kwargs):
    return services.person_create(by=None, username=username, unit=unit, role=role, **kwargs)


# ---- Due soon (临期) ------------------------------------------------------------------------------


def test_due_soon_reaches_the_lead_unit_exactly_three_days_and_one_day_before_the_deadline(w, travel):
    task = w.task(deadline=d(9, 18))  # Friday; D-4 is Monday 14th, D-3 Tuesday 15th
    scan_days(travel, d(9, 10), d(9, 18))
    assert sent(rule=RULE.DUE_SOON, task=task, unit=w.wanan) == [(d(9, 15), 3), (d(9, 17), 1)]


def test_due_soon_reaches_every_cooperating_unit_too(w, travel):
    task = w.task(deadline=d(9, 18), cooperating_units=[w.shanmu, w.yingji])
    scan_days(travel, d(9, 14), d(9, 18))
    expected = [(d(9, 15), 3), (d(9, 17), 1)]
    assert sent(rule=RULE.DUE_SOON, task=task, unit=w.shanmu) == expected
    assert sent(rule=RULE.DUE_SOON, task=task, unit=w.yingji) == expected
    assert Notification.objects.filter(rule=RULE.DUE_SOON, task=task).count() == 6


def test_a_due_soon_step_that_fell_on_a_sunday_goes_out_on_monday(w, travel):
    task = w.task(deadline=d(9, 16))  # Wednesday: D-3 is Sunday 13th
    scan_days(travel, d(9, 11), d(9, 16))
    assert sent(rule=RULE.DUE_SOON, task=task, unit=w.wanan) == [(d(9, 14), 3), (d(9, 15), 1)]


def test_a_missed_due_soon_step_is_dropped_when_the_next_step_has_come(w, travel):
    task = w.task(deadline=d(9, 15))  # Tuesday: D-3 and D-2 are the weekend, D-1 is Monday
    scan_days(travel, d(9, 11), d(9, 15))
    assert sent(rule=RULE.DUE_SOON, task=task, unit=w.wanan) == [(d(9, 14), 1)]


def test_a_deadline_after_the_national_day_holiday_is_announced_on_the_first_day_back(w, travel):
    task = w.task(deadline=d(10, 9))  # 1–7 October are holidays; Thursday 8th is a working day
    scan_days(travel, d(9, 29), d(10, 9))
    assert sent(rule=RULE.DUE_SOON, task=task, unit=w.wanan) == [(d(10, 8), 1)]


# ---- Overdue (逾期) ------------------------------------------------------------------------------


def test_overdue_goes_out_on_day_one_then_every_three_days_not_on_days_two_and_three(w, travel):
    task = w.task(deadline=d(9, 7), responsible_leader=w.leader)  # Monday
    scan_days(travel, d(9, 7), d(9, 18))
    # Day 1 Tue 8th, day 4 Fri 11th, day 7 Mon 14th, day 10 Thu 17th.
    expected = [(d(9, 8), 0), (d(9, 11), 1), (d(9, 14), 2), (d(9, 17), 3)]
    assert sent(rule=RULE.OVERDUE, task=task, unit=w.wanan) == expected


def test_the_responsible_leader_gets_every_overdue_reminder_too(w, travel):
    task = w.task(deadline=d(9, 7), responsible_leader=w.leader)
    scan_days(travel, d(9, 7), d(9, 18))
    assert sent(rule=RULE.OVERDUE, task=task, person=w.leader) == [
        (d(9, 8), 0),
        (d(9, 11), 1),
        (d(9, 14), 2),
        (d(9, 17), 3),
    ]


def test_a_task_without_a_responsible_leader_reminds_the_unit_only(w, travel):
    task = w.task(deadline=d(9, 7))
    scan_days(travel, d(9, 8), d(9, 8))
    assert list(Notification.objects.filter(task=task).values_list("unit", "person")) == [(w.wanan.pk, None)]


def test_an_overdue_repeat_that_fell_on_a_weekend_goes_out_on_the_next_working_day(w, travel):
    task = w.task(deadline=d(9, 8))  # Tuesday: day 4 is Saturday 12th, day 7 Tuesday 15th
    scan_days(travel, d(9, 8), d(9, 16))
    assert sent(rule=RULE.OVERDUE, task=task, unit=w.wanan) == [(d(9, 9), 0), (d(9, 14), 1), (d(9, 15), 2)]


def test_an_extended_deadline_is_announced_and_chased_afresh(w, travel):
    task = w.task(deadline=d(9, 7), responsible_leader=w.leader)
    scan_days(travel, d(9, 2), d(9, 8))
    extension = services.extension_request(
        task=task, by=w.wanan_official, new_deadline=d(9, 18), reason="井下排查需停产配合"
    )
    services.extension_decide(extension=extension, by=w.office, approve=True)
    scan_days(travel, d(9, 9), d(9, 21))
    assert sent(rule=RULE.DUE_SOON, task=task, unit=w.wanan) == [
        (d(9, 4), 3),
        (d(9, 7), 1),  # Sunday the 6th was the day before: sent on the day itself
        (d(9, 15), 3),
        (d(9, 17), 1),
    ]
    # Overdue again from Sunday the 20th, a make-up working day.
    assert sent(rule=RULE.OVERDUE, task=task, person=w.leader) == [(d(9, 8), 0), (d(9, 20), 0)]


# ---- The supervision groups' digest (督导组逾期日报) ---------------------------------------------------


def test_the_digest_starts_on_the_third_overdue_day_once_a_day_per_group(w, travel):
    w.task(deadline=d(9, 7))
    w.task(deadline=d(9, 7), title="取暖季燃气安全检查")
    for day in (d(9, 8), d(9, 9), d(9, 10), d(9, 11), d(9, 14)):
        travel(day)
        reminders.scan()
        reminders.scan()  # and a second scan the same day changes nothing
    assert sent(rule=RULE.DIGEST, group=w.group) == [(d(9, 10), 0), (d(9, 11), 0), (d(9, 14), 0)]
    assert Notification.objects.filter(rule=RULE.DIGEST).count() == 3


def test_the_digest_lists_all_the_groups_items_overdue_three_days_or_more_newest_escalations_first(w, travel):
    long_late = w.task(deadline=d(9, 1), title="危化品企业复查")  # 9 days late on the 10th
    just_escalated = w.task(deadline=d(9, 7), title="煤矿隐患排查", lead_unit=w.mine)  # 3 days
    w.task(deadline=d(9, 8), title="燃气管网巡检")  # 2 days: not yet
    w.task(deadline=d(9, 30), title="冬季供暖保障")  # not late
    cancelled = w.task(deadline=d(9, 2), title="已撤销的任务")
    services.task_cancel(task=cancelled, by=w.office, reason="重复下达")
    order = issue_order(w, unit=w.shanmu, deadline=d(9, 4))  # 6 days late
    travel(d(9, 10))
    reminders.scan()

    digest = Notification.objects.get(rule=RULE.DIGEST, group=w.group, day=d(9, 10))
    items = render(digest).items
    assert [item["label"] for item in items] == [
        f"{just_escalated.code} 煤矿隐患排查",
        order.number,
        f"{long_late.code} 危化品企业复查",
    ]
    assert [item["late"] for item in items] == [3, 6, 9]


def test_only_groups_whose_scope_covers_the_unit_get_the_digest(w, travel):
    shanmu_group = group_create(
        name="县第二督导组", issuing_unit=w.county, by=w.office, scope_units=[w.shanmu]
    )
    wanan_group = group_create(name="县第一督导组", issuing_unit=w.county, by=w.office, scope_units=[w.wanan])
    other_group = group_create(
        name="区第一督导组", issuing_unit=w.other_county, by=w.other_office, scope_units=[w.other_county]
    )
    w.task(deadline=d(9, 7), lead_unit=w.mine)  # 万安煤业 lies under 万安镇, under 洪洞县
    scan_days(travel, d(9, 10), d(9, 10))
    groups = list(Notification.objects.filter(rule=RULE.DIGEST).values_list("group", flat=True))
    assert sorted(groups) == sorted([w.group.pk, wanan_group.pk])  # one digest each
    assert shanmu_group.pk not in groups and other_group.pk not in groups


def test_a_group_limited_to_special_actions_sees_only_their_items(w, travel):
    gas = services.special_action_create(campaign=w.campaign, name="燃气安全专项行动", code="RQ", by=w.office)
    gas_group = group_create(
        name="县燃气专项督导组",
        issuing_unit=w.county,
        by=w.office,
        scope_units=[w.county],
        scope_special_actions=[gas],
    )
    safety_task = w.task(deadline=d(9, 7))
    travel(d(9, 10))
    reminders.scan()
    assert not Notification.objects.filter(rule=RULE.DIGEST, group=gas_group).exists()

    gas_task = w.task(deadline=d(9, 7), special_action=gas, title="燃气管网巡检")
    travel(d(9, 11))
    reminders.scan()
    digest = Notification.objects.get(rule=RULE.DIGEST, group=gas_group)
    assert [item["label"] for item in render(digest).items] == [f"{gas_task.code} 燃气管网巡检"]
    everything = Notification.objects.get(rule=RULE.DIGEST, group=w.group, day=d(9, 11))
    assert {item["label"] for item in render(everything).items} == {
        f"{safety_task.code} {safety_task.title}",
        f"{gas_task.code} 燃气管网巡检",
    }


def test_an_inactive_group_gets_no_digest(w, travel):
    SupervisionGroup.objects.filter(pk=w.group.pk).update(is_active=False)
    w.task(deadline=d(9, 7))
    scan_days(travel, d(9, 10), d(9, 11))
    assert not Notification.objects.filter(rule=RULE.DIGEST).exists()


def test_an_order_overdue_three_days_brings_its_groups_digest(w, travel):
    issue_order(w, deadline=d(9, 7))
    scan_days(travel, d(9, 8), d(9, 10))
    assert days_sent(rule=RULE.DIGEST, group=w.group) == [d(9, 10)]


# ---- No progress report (进度填报提醒) ----------------------------------------------------------------


def test_a_task_in_progress_never_reported_on_is_chased_seven_days_after_its_start(w, travel):
    task = w.task(deadline=d(9, 30), start_date=d(9, 1))
    # Imported as in progress, without a report (a fixture may write rows directly).
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.IN_PROGRESS)
    scan_days(travel, d(9, 1), d(9, 18))
    assert sent(rule=RULE.STALE_REPORT, task=task, unit=w.wanan) == [(d(9, 8), day_number(d(9, 1)))]


def test_a_new_report_restarts_the_seven_days(w, travel):
    task = w.task(deadline=d(9, 30), start_date=d(8, 31))
    travel(d(9, 2), datetime.time(10))
    report(task, w.wanan_official)  # in progress from now
    scan_days(travel, d(9, 3), d(9, 9))
    travel(d(9, 10), datetime.time(16))
    report(task, w.wanan_official, percent=50)
    scan_days(travel, d(9, 11), d(9, 18))
    # Wed 2nd + 7 = Wed 9th (not Tue 8th); Thu 10th + 7 = Thu 17th (not Wed 16th), once each.
    assert days_sent(rule=RULE.STALE_REPORT, task=task) == [d(9, 9), d(9, 17)]


def test_the_silent_days_count_in_shanghai_time(w, travel):
    task = w.task(deadline=d(9, 30), start_date=d(8, 31))
    travel(d(9, 3), datetime.time(0, 30))  # Wed 2nd 16:30 UTC, but Thursday 3rd in the county
    report(task, w.wanan_official)
    scan_days(travel, d(9, 9), d(9, 10))
    assert days_sent(rule=RULE.STALE_REPORT, task=task) == [d(9, 10)]


def test_a_cooperating_units_report_does_not_restart_the_count(w, travel):
    task = w.task(deadline=d(9, 30), start_date=d(8, 31), cooperating_units=[w.shanmu])
    travel(d(9, 2), datetime.time(10))
    report(task, w.wanan_official)
    travel(d(9, 7), datetime.time(10))
    report(task, w.shanmu_official)
    scan_days(travel, d(9, 8), d(9, 9))
    assert days_sent(rule=RULE.STALE_REPORT, task=task, unit=w.wanan) == [d(9, 9)]


def test_a_silent_stretch_ending_on_a_saturday_is_chased_on_monday_once(w, travel):
    task = w.task(deadline=d(9, 30), start_date=d(8, 31))
    travel(d(9, 5), datetime.time(10))  # Saturday
    report(task, w.wanan_official)
    scan_days(travel, d(9, 11), d(9, 18))
    assert days_sent(rule=RULE.STALE_REPORT, task=task) == [d(9, 14)]


def test_a_task_not_started_is_not_chased_for_reports(w, travel):
    task = w.task(deadline=d(9, 30), start_date=d(8, 31))
    scan_days(travel, d(9, 7), d(9, 11))
    assert not Notification.objects.filter(rule=RULE.STALE_REPORT, task=task).exists()


# ---- Milestones (节点) ----------------------------------------------------------------------------


def test_a_milestone_is_announced_the_day_before_then_chased_from_its_first_overdue_day(w, travel):
    task = w.task(deadline=d(9, 30))
    milestone = services.milestone_add(task=task, by=w.office, title="完成隐患台账", due_date=d(9, 10))
    scan_days(travel, d(9, 7), d(9, 18))
    assert sent(rule=RULE.MILESTONE_DUE, milestone=milestone, unit=w.wanan) == [(d(9, 9), 0)]
    # Day 1 Fri 11th, day 4 Mon 14th, day 7 Thu 17th.
    assert sent(rule=RULE.MILESTONE_OVERDUE, milestone=milestone, unit=w.wanan) == [
        (d(9, 11), 0),
        (d(9, 14), 1),
        (d(9, 17), 2),
    ]


def test_a_completed_milestone_is_left_alone(w, travel):
    task = w.task(deadline=d(9, 30))
    milestone = services.milestone_add(task=task, by=w.office, title="完成隐患台账", due_date=d(9, 10))
    services.milestone_complete(milestone=milestone, by=w.wanan_official)
    scan_days(travel, d(9, 9), d(9, 14))
    assert not Notification.objects.filter(milestone=milestone).exists()


# ---- Supervision orders (督办单) ---------------------------------------------------------------------


def test_an_order_is_announced_to_the_addressed_unit_three_days_and_one_day_before_its_deadline(w, travel):
    order = issue_order(w, deadline=d(9, 18))
    scan_days(travel, d(9, 14), d(9, 18))
    assert sent(rule=RULE.ORDER_DUE, order=order, unit=w.wanan) == [(d(9, 15), 3), (d(9, 17), 1)]
    assert not Notification.objects.filter(order=order, group__isnull=False).exists()


def test_an_overdue_order_chases_the_unit_and_the_issuing_group(w, travel):
    order = issue_order(w, deadline=d(9, 7))
    scan_days(travel, d(9, 7), d(9, 15))
    expected = [(d(9, 8), 0), (d(9, 11), 1), (d(9, 14), 2)]
    assert sent(rule=RULE.ORDER_OVERDUE, order=order, unit=w.wanan) == expected
    assert sent(rule=RULE.ORDER_OVERDUE, order=order, group=w.group) == expected


def test_a_rectified_order_waiting_on_verification_chases_the_group_not_the_unit(w, travel):
    order = issue_order(w, deadline=d(9, 7))
    order_acknowledge(order=order, by=w.wanan_official)
    order_report_rectification(order=order, by=w.wanan_official, text="已停产整顿并完成整改")
    scan_days(travel, d(9, 7), d(9, 9))
    assert sent(rule=RULE.ORDER_OVERDUE, order=order, unit=w.wanan) == []
    assert sent(rule=RULE.ORDER_OVERDUE, order=order, group=w.group) == [(d(9, 8), 0)]


def test_a_closed_out_order_gets_nothing(w, travel):
    order = issue_order(w, deadline=d(9, 7))
    order_acknowledge(order=order, by=w.wanan_official)
    order_report_rectification(order=order, by=w.wanan_official, text="已停产整顿并完成整改")
    order_verify(order=order, by=w.inspector)
    clear_handoffs()
    scan_days(travel, d(9, 3), d(9, 14))
    assert not Notification.objects.filter(order=order).exists()
    assert not Notification.objects.filter(rule=RULE.DIGEST).exists()


# ---- What stops the clock ----------------------------------------------------------------------------


def _close(task, w):
    report(task, w.wanan_official, percent=100)
    services.task_request_close(task=task, by=w.wanan_official)
    return services.task_close(task=task, by=w.office)


@pytest.mark.parametrize("ending", ["closed", "cancelled", "awaiting_close"])
def test_a_task_that_is_closed_cancelled_or_awaiting_close_gets_nothing(w, travel, ending):
    task = w.task(deadline=d(9, 7), responsible_leader=w.leader, cooperating_units=[w.shanmu])
    services.milestone_add(task=task, by=w.office, title="完成隐患台账", due_date=d(9, 4))
    if ending == "closed":
        _close(task, w)
    elif ending == "cancelled":
        services.task_cancel(task=task, by=w.office, reason="重复下达")
    else:
        report(task, w.wanan_official, percent=100)
        services.task_request_close(task=task, by=w.wanan_official)
    scan_days(travel, d(9, 1), d(9, 18))
    assert not Notification.objects.exists()


def test_a_campaign_whose_reminders_are_disabled_gets_nothing(w, travel):
    policy_update(campaign=w.campaign, by=w.office, enabled=False)
    due = w.task(deadline=d(9, 11), cooperating_units=[w.shanmu])
    late = w.task(deadline=d(9, 7), responsible_leader=w.leader)
    services.milestone_add(task=late, by=w.office, title="完成隐患台账", due_date=d(9, 4))
    Task.objects.filter(pk=due.pk).update(status=TaskStatus.IN_PROGRESS)
    scan_days(travel, d(9, 1), d(9, 18))
    assert not Notification.objects.exists()


def test_a_policy_change_takes_effect(w, travel):
    policy_update(campaign=w.campaign, by=w.office, due_soon_first=5)
    task = w.task(deadline=d(9, 22))  # Tuesday: D-5 is Thursday 17th; Sunday 20th is a working day
    scan_days(travel, d(9, 14), d(9, 22))
    assert sent(rule=RULE.DUE_SOON, task=task, unit=w.wanan) == [(d(9, 17), 5), (d(9, 21), 1)]


def test_a_policy_change_of_the_repeat_interval_takes_effect(w, travel):
    policy_update(campaign=w.campaign, by=w.office, overdue_repeat_days=2, escalate_after_days=5)
    task = w.task(deadline=d(9, 7))
    scan_days(travel, d(9, 8), d(9, 11))
    assert days_sent(rule=RULE.OVERDUE, task=task) == [d(9, 8), d(9, 10)]  # days 1 and 3
    assert days_sent(rule=RULE.DIGEST) == []  # 4 days late, escalated from the 5th


def test_the_policy_refuses_a_second_step_before_the_first(w):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        policy_update(campaign=w.campaign, by=w.office, due_soon_first=1, due_soon_second=2)
    with pytest.raises(TypeError):
        policy_update(campaign=w.campaign, by=w.office, campaign_id=0)


def test_only_the_office_edits_the_policy(w):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        policy_update(campaign=w.campaign, by=w.wanan_official, enabled=False)


# ---- Non-working days ---------------------------------------------------------------------------------


@pytest.fixture
def overdue_task(w):
    return w.task(deadline=d(9, 1), responsible_leader=w.leader)


@pytest.mark.parametrize(
    "day",
    [d(9, 12), d(9, 13), d(9, 25), d(10, 1), d(10, 6)],
    ids=["saturday", "sunday", "mid-autumn-friday", "national-day-thursday", "national-day-make-up-tuesday"],
)
def test_nothing_is_sent_on_a_day_off(w, travel, overdue_task, day):
    travel(day)
    assert reminders.scan() == {"day": day, "working_day": False, "notifications": 0}
    assert not Notification.objects.exists()


@pytest.mark.parametrize("day", [d(9, 20), d(10, 10)], ids=["sunday-20-sep", "saturday-10-oct"])
def test_a_make_up_working_weekend_day_sends(w, travel, overdue_task, day):
    travel(day)
    assert reminders.scan()["working_day"] is True
    assert Notification.objects.filter(day=day, task=overdue_task).exists()


def test_a_day_the_office_marks_overrides_the_package(w, travel, overdue_task):
    workdays.set_day(date=d(10, 1), working=True, name="国庆值班日")
    workdays.set_day(date=d(9, 22), working=False, name="县里停电检修")
    travel(d(10, 1))
    assert reminders.scan()["working_day"] is True
    travel(d(9, 22))
    assert reminders.scan()["working_day"] is False
    assert days_sent(task=overdue_task, unit=w.wanan) == [d(10, 1)]


def test_the_day_is_the_countys_day(w, travel):
    task = w.task(deadline=d(9, 7))
    travel(d(9, 8), datetime.time(7, 30))  # still Monday the 7th in UTC
    assert reminders.scan()["day"] == d(9, 8)
    assert days_sent(rule=RULE.OVERDUE, task=task) == [d(9, 8)]


# ---- Idempotency ----------------------------------------------------------------------------------------


def busy_day(w):
    """Every rule fires on Thursday 2026-09-10, with endpoints and an email address to deliver to."""
    Person.objects.filter(pk=w.leader.pk).update(email="leader@hongtong.gov.cn")
    NotifyEndpoint.objects.create(unit=w.wanan, channel=Channel.EMAIL, address="wanan@hongtong.gov.cn")
    NotifyEndpoint.objects.create(
        group=w.group,
        channel=Channel.WECOM,
        address="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=g6",
    )
    w.task(deadline=d(9, 11), cooperating_units=[w.shanmu])  # due soon
    late = w.task(deadline=d(9, 4), responsible_leader=w.leader, title="取暖季燃气安全检查")  # overdue 6 days
    services.milestone_add(task=late, by=w.office, title="完成隐患台账", due_date=d(9, 3))
    stale = w.task(deadline=d(9, 30), start_date=d(8, 31), title="冬季供暖保障")
    Task.objects.filter(pk=stale.pk).update(status=TaskStatus.IN_PROGRESS)
    issue_order(w, deadline=d(9, 11))
    issue_order(w, deadline=d(9, 4), unit=w.shanmu)


def counts() -> tuple[int, int, int]:
    return Notification.objects.count(), InboxItem.objects.count(), Delivery.objects.count()


def test_scanning_the_same_day_twice_creates_nothing_new(w, travel):
    busy_day(w)
    travel(d(9, 10))
    first = reminders.scan()
    after_first = counts()
    assert set(Notification.objects.values_list("rule", flat=True)) == {
        RULE.DUE_SOON,
        RULE.OVERDUE,
        RULE.DIGEST,
        RULE.STALE_REPORT,
        RULE.MILESTONE_OVERDUE,
        RULE.ORDER_DUE,
        RULE.ORDER_OVERDUE,
    }
    assert first["notifications"] == after_first[0]
    assert all(after_first)
    travel(d(9, 10), datetime.time(17))
    assert reminders.scan()["notifications"] == 0
    assert counts() == after_first


def scan_twice_at_once() -> tuple[list[dict], list[Exception]]:
    """Two scans started together from two threads (two database connections)."""
    barrier = threading.Barrier(2)
    results, errors = [], []

    def scan():
        try:
            barrier.wait(timeout=10)
            results.append(reminders.scan(publish=False))
        except Exception as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_on_postgresql_create_no_duplicates(postgres, request, travel):
    travel(d(8, 31), datetime.time(9))
    w = request.getfixturevalue("world")
    busy_day(w)
    bulk_tasks(w, 300, d(9, 10))
    for day in (d(9, 10), d(9, 11), d(9, 14)):
        travel(day)
        results, errors = scan_twice_at_once()
        assert errors == []
        made = Notification.objects.filter(day=day).count()
        assert made > 0
        # Between them the two scans made each notification once.
        assert len(results) == 2
        assert sum(result["notifications"] for result in results) == made
        # One more scan finds everything already there.
        before = counts()
        assert reminders.scan(publish=False)["notifications"] == 0
        assert counts() == before
    for model, fields in (
        (Notification, ["key"]),
        (InboxItem, ["notification", "person"]),
        (Delivery, ["notification", "channel", "address"]),
    ):
        assert not model.objects.values(*fields).annotate(n=Count("id")).filter(n__gt=1).exists()


# ---- A fixed number of queries ------------------------------------------------------------------------


def scan_queries() -> int:
    """The savepoint and its release, the calendar (2), the policies (1), the rules (11, and 4 for
    the indicators: two months' cases × two kinds), the inboxes (3) and the deliveries (3), and on
    PostgreSQL the advisory lock that keeps scans one at a time: whatever the number of tasks, people
    and reminders."""
    return 26 + (connection.vendor == "postgresql")


def bulk_tasks(w, n: int, day: datetime.date) -> None:
    """`n` tasks written directly (bulk_create), a quarter each due soon (with a cooperating unit),
    overdue (with the leader), in progress without reports, and later with a milestone due."""
    units = [w.wanan, w.shanmu, w.yingji, w.mine]
    offset = Task.objects.count()

    def task(i: int) -> Task:
        kind = i % 4
        return Task(
            campaign=w.campaign,
            special_action=w.safety,
            code=f"BULK-{offset + i:05d}",
            title=f"批量任务 {i}",
            lead_unit=units[i % len(units)],
            responsible_leader=w.leader if kind == 1 else None,
            start_date=day - datetime.timedelta(days=20),
            deadline=day + datetime.timedelta(days=(3, -4, 20, 30)[kind]),
            status=TaskStatus.IN_PROGRESS if kind == 2 else TaskStatus.NOT_STARTED,
        )

    tasks = Task.objects.bulk_create([task(i) for i in range(n)], batch_size=2000)
    TaskCooperation.objects.bulk_create(
        [
            TaskCooperation(
                task=t,
                unit=w.other_town if t.lead_unit_id != w.other_town.pk else w.wanan,
                lead_unit_id=t.lead_unit_id,
            )
            for t in tasks[0::4]
        ],
        batch_size=2000,
    )
    Milestone.objects.bulk_create(
        [Milestone(task=t, title="中期节点", due_date=day + datetime.timedelta(days=1)) for t in tasks[3::4]],
        batch_size=2000,
    )


@pytest.mark.parametrize("size", [4, 40])
def test_the_scan_runs_a_fixed_number_of_queries_whatever_the_size(
    w, travel, size, django_assert_num_queries
):
    busy_day(w)
    bulk_tasks(w, size, d(9, 10))
    travel(d(9, 10))
    workdays.is_working_day(d(9, 10))  # the year's calendar is filled once, before
    with django_assert_num_queries(scan_queries()):
        result = reminders.scan()
    assert result["notifications"] > size


@pytest.mark.slow  # ten thousand tasks: seconds
def test_a_ten_thousand_task_campaign_takes_the_same_number_of_queries(w, travel, django_assert_num_queries):
    busy_day(w)
    bulk_tasks(w, 10_000, d(9, 10))
    travel(d(9, 10))
    workdays.is_working_day(d(9, 10))
    with django_assert_num_queries(scan_queries()):
        result = reminders.scan()
    # A quarter each: due soon (lead and cooperating unit), overdue (unit and leader), no reports,
    # milestone due; plus the busy day's own.
    assert result["notifications"] >= 2500 * 6
    per_rule = dict(
        Notification.objects.filter(task__code__startswith="BULK-")
        .values_list("rule")
        .annotate(n=Count("id"))
        .values_list("rule", "n")
    )
    assert per_rule == {
        RULE.DUE_SOON: 5000,
        RULE.OVERDUE: 5000,
        RULE.STALE_REPORT: 2500,
        RULE.MILESTONE_DUE: 2500,
    }
    assert Notification.objects.filter(rule=RULE.DIGEST, day=d(9, 10)).count() == 1


# ---- Inboxes and deliveries ------------------------------------------------------------------------------


def inbox(notification) -> set[str]:
    return set(notification.inbox_items.values_list("person__username", flat=True))


def test_a_units_active_officials_and_office_staff_get_the_item_and_nobody_else_there(w, travel):
    person("county_clerk", w.county, "unit_official")
    gone = person("county_former", w.county, "unit_official")
    Person.objects.filter(pk=gone.pk).update(is_active=False)
    person("county_viewer", w.county, "readonly")
    task = w.task(deadline=d(9, 7), lead_unit=w.county)
    scan_days(travel, d(9, 8), d(9, 8))
    notification = Notification.objects.get(task=task, unit=w.county)
    # 县长 (w.leader) works at the county too, but as a leader, not an official of the unit.
    assert inbox(notification) == {"office", "county_clerk"}


def test_the_responsible_leader_gets_the_overdue_reminder_in_the_inbox(w, travel):
    task = w.task(deadline=d(9, 7), responsible_leader=w.leader)
    scan_days(travel, d(9, 8), d(9, 8))
    assert inbox(Notification.objects.get(task=task, person=w.leader)) == {"leader"}
    assert inbox(Notification.objects.get(task=task, unit=w.wanan)) == {"wanan"}


def test_the_groups_active_members_get_the_digest(w, travel):
    colleague = person("inspector2", w.other_county, "inspector")
    gone = person("inspector3", w.other_county, "inspector")
    group_set_members(group=w.group, by=w.city_office, members=[colleague, gone])
    Person.objects.filter(pk=gone.pk).update(is_active=False)
    w.task(deadline=d(9, 7))
    scan_days(travel, d(9, 10), d(9, 10))
    assert inbox(Notification.objects.get(rule=RULE.DIGEST)) == {"inspector", "inspector2"}


def test_each_enabled_endpoint_of_the_unit_gets_one_delivery(w, travel):
    NotifyEndpoint.objects.create(unit=w.wanan, channel=Channel.EMAIL, address="wanan@hongtong.gov.cn")
    NotifyEndpoint.objects.create(
        unit=w.wanan, channel=Channel.WECOM, address="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wa"
    )
    NotifyEndpoint.objects.create(
        unit=w.wanan,
        channel=Channel.DINGTALK,
        address="https://oapi.dingtalk.com/robot/send?access_token=off",
        enabled=False,
    )
    NotifyEndpoint.objects.create(unit=w.shanmu, channel=Channel.EMAIL, address="shanmu@hongtong.gov.cn")
    task = w.task(deadline=d(9, 7))
    scan_days(travel, d(9, 8), d(9, 8))
    # Another scan the same day: still one delivery each.
    reminders.scan()
    notification = Notification.objects.get(task=task, unit=w.wanan)
    deliveries = sorted(notification.deliveries.values_list("channel", "address", "state", "attempts"))
    assert deliveries == [
        (Channel.EMAIL, "wanan@hongtong.gov.cn", "pending", 0),
        (Channel.WECOM, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wa", "pending", 0),
    ]
    assert Delivery.objects.count() == 2


def test_a_person_with_an_email_address_gets_one_delivery_and_one_without_none(w, travel):
    Person.objects.filter(pk=w.leader.pk).update(email="leader@hongtong.gov.cn")
    task = w.task(deadline=d(9, 7), responsible_leader=w.leader)
    scan_days(travel, d(9, 8), d(9, 8))
    to_leader = Notification.objects.get(task=task, person=w.leader)
    assert list(to_leader.deliveries.values_list("channel", "address")) == [
        (Channel.EMAIL, "leader@hongtong.gov.cn")
    ]
    Person.objects.filter(pk=w.leader.pk).update(email="")
    scan_days(travel, d(9, 11), d(9, 11))
    assert not Notification.objects.get(task=task, person=w.leader, day=d(9, 11)).deliveries.exists()


def test_the_groups_endpoint_gets_the_digest(w, travel):
    NotifyEndpoint.objects.create(
        group=w.group,
        channel=Channel.DINGTALK,
        address="https://oapi.dingtalk.com/robot/send?access_token=g6",
    )
    w.task(deadline=d(9, 7))
    scan_days(travel, d(9, 10), d(9, 10))
    digest = Notification.objects.get(rule=RULE.DIGEST)
    assert list(digest.deliveries.values_list("channel", flat=True)) == [Channel.DINGTALK]


def test_deliveries_are_due_at_once_by_the_applications_clock(w, travel):
    NotifyEndpoint.objects.create(unit=w.wanan, channel=Channel.EMAIL, address="wanan@hongtong.gov.cn")
    w.task(deadline=d(9, 7))
    travel(d(9, 8))
    reminders.scan()
    delivery = Delivery.objects.get()
    moment = datetime.datetime(2026, 9, 8, 8, 30, tzinfo=SHANGHAI)
    assert delivery.next_attempt_at == moment
    assert delivery.notification.created_at == moment


# ---- Chasing by hand (催办) --------------------------------------------------------------------------------


def test_a_supervision_office_chase_reaches_the_unit_at_once_even_on_a_sunday(w, travel):
    task = w.task(deadline=d(9, 30))
    travel(d(9, 13), datetime.time(15))
    notification = chase_task(task=task, by=w.office, note="请本周内报送整改台账")
    assert (notification.rule, notification.unit, notification.note) == (
        RULE.CHASE,
        w.wanan,
        "请本周内报送整改台账",
    )
    assert inbox(notification) == {"wanan"}
    assert TaskEvent.objects.filter(task=task, kind="chased", actor=w.office).exists()


def test_a_unit_official_cannot_chase(w):
    from django.core.exceptions import PermissionDenied

    task = w.task(deadline=d(9, 30))
    with pytest.raises(PermissionDenied):
        chase_task(task=task, by=w.wanan_official)
    assert not Notification.objects.exists()
