"""The working-day calendar (supervision/workdays.py): China's public holidays and make-up working
days from the `holidays` package, the weekend rule for every other day, and the office's own days."""

import datetime

import pytest

from supervision import workdays
from supervision.models import CalendarDay

D = datetime.date


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 9, 24), True),  # Thursday
        (D(2026, 9, 25), False),  # 中秋节, a Friday
        (D(2026, 9, 26), False),  # Saturday
        (D(2026, 9, 20), True),  # Sunday worked for the National Day holiday (调休)
        (D(2026, 10, 1), False),  # 国庆节, a Thursday
        (D(2026, 10, 3), False),  # 国庆节 on a Saturday
        (D(2026, 10, 6), False),  # a weekday off in exchange for 20 September
        (D(2026, 10, 8), True),  # the first day back
        (D(2026, 10, 10), True),  # Saturday worked (调休)
        (D(2026, 10, 11), False),  # Sunday
        (D(2026, 1, 1), False),  # 元旦
        (D(2026, 1, 4), True),  # Sunday worked for 元旦
        (D(2026, 2, 17), False),  # 春节
    ],
)
def test_a_day_is_working_as_the_2026_calendar_says(db, day, working):
    assert workdays.is_working_day(day) is working


def test_a_year_is_filled_from_the_package_the_first_time_it_is_asked_about(db):
    assert not CalendarDay.objects.exists()
    workdays.is_working_day(D(2026, 3, 2))
    rows = {row.date: row for row in CalendarDay.objects.filter(date__year=2026)}
    assert rows[D(2026, 10, 1)].working is False and rows[D(2026, 10, 1)].name == "国庆节"
    assert rows[D(2026, 10, 10)].working is True and rows[D(2026, 10, 10)].from_package
    assert D(2026, 10, 3) not in rows  # a holiday at the weekend is a weekend day already
    assert not CalendarDay.objects.exclude(date__year=2026).exists()


def test_filling_a_year_twice_adds_nothing(db):
    assert workdays.fill_year(2026) > 0
    count = CalendarDay.objects.count()
    assert workdays.fill_year(2026) == 0
    assert CalendarDay.objects.count() == count


def test_the_office_can_make_a_holiday_a_working_day_and_back(db):
    workdays.set_day(date=D(2026, 10, 1), working=True, name=" 国庆值班 ")
    assert workdays.is_working_day(D(2026, 10, 1)) is True
    row = CalendarDay.objects.get(date=D(2026, 10, 1))
    assert (row.name, row.from_package) == ("国庆值班", False)
    workdays.set_day(date=D(2026, 10, 1), working=False, name="国庆节")
    assert workdays.is_working_day(D(2026, 10, 1)) is False


def test_the_office_can_give_a_day_off_on_a_weekday(db):
    workdays.set_day(date=D(2026, 9, 22), working=False, name="县里停电检修")
    assert workdays.is_working_day(D(2026, 9, 22)) is False
    assert workdays.is_working_day(D(2026, 9, 23)) is True


def test_the_package_never_overwrites_the_offices_days(db):
    workdays.set_day(date=D(2026, 10, 1), working=True, name="国庆值班")
    workdays.fill_year(2026)
    assert workdays.is_working_day(D(2026, 10, 1)) is True


def test_a_day_the_office_entered_first_does_not_keep_the_years_holidays_out(db):
    # Entered in the admin before anyone asked about 2027.
    CalendarDay.objects.create(date=D(2027, 6, 1), working=False, name="县庆")
    assert workdays.is_working_day(D(2027, 10, 1)) is False  # 国庆节, a Friday
    assert workdays.is_working_day(D(2027, 6, 1)) is False
    assert CalendarDay.objects.filter(date__year=2027, from_package=True).exists()


def test_setting_a_day_in_a_new_year_fills_the_rest_of_that_year(db):
    workdays.set_day(date=D(2027, 3, 1), working=False, name="县庆")
    assert workdays.is_working_day(D(2027, 2, 8)) is False  # 春节, a Monday
    assert workdays.is_working_day(D(2027, 3, 1)) is False


def test_asking_about_a_day_once_the_year_is_filled_takes_two_queries(db, django_assert_num_queries):
    workdays.fill_year(2026)
    with django_assert_num_queries(2):
        workdays.is_working_day(D(2026, 10, 1))
