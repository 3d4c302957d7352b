"""指标填报提醒: before the campaign's reporting day, the units whose figure of the previous month is
missing are reminded (the responsible unit for 预计, the source unit for 实际), once a working day.

The county is made on Friday 2026-11-20 (Asia/Shanghai); its campaign runs from 10-21 to 2027-01-19.
December 2026: the 5th is a Saturday, the 1st a Tuesday.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from supervision import reminders
from supervision.messages import path_of, render
from supervision.models import InboxItem, Notification, ReminderRule
from tasks.indicators import indicator_create, indicator_figure_report, indicator_schedule_set
from tests.factories import statistics_bureau

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOV = datetime.date(2026, 11, 1)


def d(month: int, day: int) -> datetime.date:
    return datetime.date(2026, month, day)


@pytest.fixture
def travel(time_machine):
    def to(day: datetime.date, at: datetime.time = datetime.time(8, 30)) -> datetime.date:
        time_machine.move_to(datetime.datetime.combine(day, at, tzinfo=SHANGHAI), tick=False)
        return day

    return to


@pytest.fixture
def w(db, request, travel):
    travel(d(11, 20), datetime.time(9))
    w = request.getfixturevalue("world")
    w.stats, w.stats_official = statistics_bureau(w)
    w.investment = indicator_create(
        campaign=w.campaign,
        name="固定资产投资",
        measure="亿元",
        kind="cumulative",
        responsible_unit=w.wanan,
        source_unit=w.stats,
        by=w.office,
    )
    return w


def scan_days(travel, first: datetime.date, last: datetime.date) -> None:
    day = first
    while day <= last:
        travel(day)
        reminders.scan()
        day += datetime.timedelta(days=1)


def reminded(unit) -> list[tuple[datetime.date, int]]:
    """(day, days left) of the unit's indicator reminders, in order."""
    return list(
        Notification.objects.filter(rule=ReminderRule.INDICATOR_DUE, unit=unit)
        .order_by("day")
        .values_list("day", "step")
    )


def test_units_are_reminded_from_three_days_before_the_reporting_day(w, travel):
    scan_days(travel, d(11, 28), d(12, 6))
    assert reminded(w.wanan) == [(d(12, 2), 3), (d(12, 3), 2), (d(12, 4), 1)]  # the 5th is a Saturday
    assert reminded(w.stats) == [(d(12, 2), 3), (d(12, 3), 2), (d(12, 4), 1)]


def test_a_unit_that_has_reported_is_not_reminded(w, travel):
    travel(d(12, 1), datetime.time(17))
    indicator_figure_report(
        indicator=w.investment, month=NOV, kind="expected", value="9", by=w.wanan_official
    )
    scan_days(travel, d(12, 2), d(12, 4))
    assert reminded(w.wanan) == []
    assert len(reminded(w.stats)) == 3  # the actual figure is still missing


def test_reminders_stop_once_the_figure_is_in(w, travel):
    scan_days(travel, d(12, 2), d(12, 2))
    travel(d(12, 2), datetime.time(15))
    indicator_figure_report(indicator=w.investment, month=NOV, kind="actual", value="8", by=w.stats_official)
    scan_days(travel, d(12, 3), d(12, 4))
    assert reminded(w.stats) == [(d(12, 2), 3)]


def test_a_second_scan_the_same_day_reminds_no_one_twice(w, travel):
    travel(d(12, 3))
    reminders.scan()
    reminders.scan()
    assert reminded(w.wanan) == [(d(12, 3), 2)]
    assert (
        InboxItem.objects.filter(
            person=w.wanan_official, notification__rule=ReminderRule.INDICATOR_DUE
        ).count()
        == 1
    )


def test_the_campaigns_schedule_sets_the_reporting_day_and_the_lead(w, travel):
    indicator_schedule_set(campaign=w.campaign, reporting_day=10, remind_days_before=1, by=w.office)
    scan_days(travel, d(12, 1), d(12, 11))
    assert reminded(w.wanan) == [(d(12, 9), 1), (d(12, 10), 0)]


def test_a_reporting_day_early_in_the_month_is_reminded_in_the_month_before(w, travel):
    indicator_schedule_set(campaign=w.campaign, reporting_day=1, remind_days_before=2, by=w.office)
    scan_days(travel, d(11, 26), d(12, 1))
    # Due on 12-01 for November: 11-27 is 4 days before (Friday), the weekend is skipped.
    assert reminded(w.wanan) == [(d(11, 30), 1), (d(12, 1), 0)]
    assert all(":m2026-11:" in key for key in Notification.objects.values_list("key", flat=True))


def test_a_month_outside_the_campaign_is_not_reminded(w, travel):
    # The campaign ends on 2027-01-19: January is its last month, February's figures (due 03-05) are
    # no part of it.
    scan_days(travel, datetime.date(2027, 2, 2), datetime.date(2027, 2, 4))
    assert [day for day, _step in reminded(w.wanan)] == [
        datetime.date(2027, 2, 2),
        datetime.date(2027, 2, 3),
        datetime.date(2027, 2, 4),
    ]
    Notification.objects.all().delete()
    scan_days(travel, datetime.date(2027, 3, 2), datetime.date(2027, 3, 5))
    assert reminded(w.wanan) == []


def test_the_reminder_names_the_indicator_the_month_and_the_due_day(w, travel):
    travel(d(12, 3))
    reminders.scan()
    notification = Notification.objects.get(rule=ReminderRule.INDICATOR_DUE, unit=w.wanan)
    message = render(notification)
    assert message.title == "【指标填报提醒】请于 2026-12-05 前填报 固定资产投资 2026年11月预计数"
    assert "报送截止:2026-12-05(还有 2 天)" in message.text
    assert path_of(notification) == f"{reverse('indicator-entry')}?month=2026-11"
    source = Notification.objects.get(rule=ReminderRule.INDICATOR_DUE, unit=w.stats)
    assert render(source).title.endswith("2026年11月实际数")


def test_the_unit_finds_the_reminder_in_its_inbox(w, travel, client):
    travel(d(12, 3))
    reminders.scan()
    client.force_login(w.wanan_official)
    page = client.get(reverse("notifications")).content.decode()
    assert "【指标填报提醒】请于 2026-12-05 前填报 固定资产投资 2026年11月预计数" in page
