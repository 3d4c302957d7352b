"""The working-day calendar reminders keep to (工作日历).

A day is a working day when the calendar says so, else when it is Monday to Friday. The calendar
holds the exceptions only: public holidays that fall on weekdays, and the weekend days worked to make
up for them (调休). A year is filled from the `holidays` package (China's public holidays and make-up
working days, in Chinese) the first time a day in it is asked about; the supervision office can then
add, change or remove days (rows with `from_package=False` are never overwritten).
"""

import datetime

import holidays
from django.db import transaction

from .models import CalendarDay


def fill_year(year: int) -> int:
    """Write the package's exceptions for `year` (keeping the office's own rows). Returns rows added."""
    calendar = holidays.China(years=year, language="zh_CN")
    rows = [
        CalendarDay(date=day, working=False, name=str(name), from_package=True)
        for day, name in calendar.items()
        if day.year == year and day.weekday() < 5
    ]
    rows += [
        CalendarDay(date=day, working=True, name="调休上班", from_package=True)
        for day in calendar.weekend_workdays
        if day.year == year
    ]
    if not rows:
        # A year the package does not know yet: leave a marker so it is not looked up again and again.
        rows = [CalendarDay(date=datetime.date(year, 1, 1), working=False, name="元旦", from_package=True)]
    with transaction.atomic():
        before = CalendarDay.objects.filter(date__year=year).count()
        CalendarDay.objects.bulk_create(rows, ignore_conflicts=True)
        return CalendarDay.objects.filter(date__year=year).count() - before


def _ensure_year(year: int) -> None:
    # Filled means the package's rows are there: a day the office entered first (in the admin) must not
    # keep the year's public holidays out. fill_year always leaves at least one package row.
    if not CalendarDay.objects.filter(date__year=year, from_package=True).exists():
        fill_year(year)


def is_working_day(day: datetime.date) -> bool:
    _ensure_year(day.year)
    row = CalendarDay.objects.filter(date=day).values_list("working", flat=True).first()
    if row is not None:
        return row
    return day.weekday() < 5


def set_day(*, date: datetime.date, working: bool, name: str = "") -> CalendarDay:
    """The office marks a day (see supervision.services for who may)."""
    _ensure_year(date.year)
    day, _created = CalendarDay.objects.update_or_create(
        date=date, defaults={"working": working, "name": name.strip(), "from_package": False}
    )
    return day
