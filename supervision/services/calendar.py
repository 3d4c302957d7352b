"""The working-day calendar (工作日历): the days off and the make-up working days the reminders follow
(supervision/workdays.py). The calendar is the deployment's; the office of a region running a
campaign keeps it (permissions.may_keep_calendar)."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from tasks.models import Campaign, Person
from tasks.services import require_office_for

from .. import permissions, workdays
from ..models import CalendarDay


def _require_calendar_keeper(by: Person, campaign: Campaign | None) -> None:
    if permissions.may_keep_calendar(by, campaign):
        return
    if campaign is None:
        raise PermissionDenied(_("没有可用的冬季行动。"))
    require_office_for(by, campaign.owner, _("修改工作日历"))  # refuses, with the office's message


def calendar_year(year: int) -> QuerySet[CalendarDay]:
    """The year's exceptions; a year never asked about is filled from the holidays package first."""
    if not CalendarDay.objects.filter(date__year=year, from_package=True).exists():
        workdays.fill_year(year)
    return CalendarDay.objects.filter(date__year=year).order_by("date")


@transaction.atomic
def calendar_day_set(
    *, by: Person, campaign: Campaign | None, date: datetime.date, working: bool, name: str = ""
) -> CalendarDay:
    """Mark a day a working day or a day off (a holiday added late, a make-up working day moved)."""
    _require_calendar_keeper(by, campaign)
    return workdays.set_day(date=date, working=working, name=name)


@transaction.atomic
def calendar_day_remove(*, by: Person, campaign: Campaign | None, date: datetime.date) -> None:
    """Remove a day the office marked: the date goes back to what the holidays package says (or to
    its weekday). Days from the package cannot be removed, only changed."""
    _require_calendar_keeper(by, campaign)
    removed, _rows = CalendarDay.objects.filter(date=date, from_package=False).delete()
    if not removed:
        raise ValidationError({"date": _("只能删除督查室自行设置的日期。")})
    workdays.fill_year(date.year)
