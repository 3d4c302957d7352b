"""Monthly indicators (主要经济指标): the writes and the one table everyone shows.

An indicator belongs to a campaign; a responsible unit answers for it and reports the month's
expected figure (预计); a data-source unit (数据来源单位, e.g. 县统计局) reports the actual figure (实际)
and confirms figures. The office of the campaign's region may do all of it. A confirmed figure
changes only through `indicator_figure_correct`, with a reason, kept in `IndicatorFigureRevision`;
reporting an unconfirmed figure again updates it and is recorded there too.

`indicator_table` is the one read of the figures: the indicator pages, the API and the bulletins'
indicators section all call it, so a completion rate is worked out in one place.
"""

import datetime
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from . import clock, permissions
from .models import (
    Campaign,
    FigureKind,
    Indicator,
    IndicatorFigure,
    IndicatorFigureRevision,
    IndicatorKind,
    IndicatorSchedule,
    IndicatorTarget,
    Person,
    Task,
    Unit,
)
from .selectors import access_for
from .services import InvalidTransition, require_office_for, require_text

HUNDRED = Decimal(100)
ONE_DECIMAL = Decimal("0.1")
# What a DecimalField(max_digits=16, decimal_places=4) holds.
MAX_VALUE = Decimal("999999999999.9999")


# ---- Months and numbers ------------------------------------------------------------------------


def month_start(day: datetime.date | datetime.datetime | str) -> datetime.date:
    """The first day of `day`'s month; a string may be "2026-11" or "2026-11-05"."""
    if isinstance(day, str):
        text = day.strip()
        try:
            parsed = datetime.date.fromisoformat(text if len(text) > 7 else f"{text}-01")
        except ValueError:
            raise ValidationError({"month": _("月份格式应为 2026-11。")}) from None
        return parsed.replace(day=1)
    if isinstance(day, datetime.datetime):
        day = timezone.localdate(day) if timezone.is_aware(day) else day.date()
    if not isinstance(day, datetime.date):
        raise ValidationError({"month": _("月份格式应为 2026-11。")})
    return day.replace(day=1)


def to_decimal(value, field: str, label: str) -> Decimal:
    """A number from what a form, a spreadsheet or JSON gives; a ValidationError on `field` otherwise."""
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError({field: _("请填写%(label)s。") % {"label": label}})
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("%(label)s必须是数字。") % {"label": label}}) from None
    if not number.is_finite():
        raise ValidationError({field: _("%(label)s必须是数字。") % {"label": label}})
    number = number.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    if abs(number) > MAX_VALUE:
        raise ValidationError({field: _("%(label)s超出可填报的范围。") % {"label": label}})
    return number


def plain(number: Decimal | None) -> Decimal | None:
    """`number` without trailing zeros and never in exponent form: 12.3000 → 12.3, 100.0000 → 100."""
    if number is None:
        return None
    if number == number.to_integral_value():
        return number.quantize(Decimal(1))
    return number.normalize()


def completion_rate(value: Decimal | None, target: Decimal | None) -> Decimal | None:
    """value ÷ target × 100, rounded half up to one decimal; None without a target or with a target of 0.

    The same arithmetic for growth rates (a negative rate gives a negative completion)."""
    if value is None or target is None or target == 0:
        return None
    return (value * HUNDRED / target).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


# ---- Who may do what ------------------------------------------------------------------------------


def _acts_for(user: Person, unit_id: int) -> bool:
    return permissions.acts_for_unit(user) and user.unit_id == unit_id


def is_indicator_office(user: Person, indicator: Indicator) -> bool:
    """The supervision office of the campaign's region (or a superuser)."""
    return permissions.is_office_for(user, indicator.campaign.owner)


def may_report(user: Person, indicator: Indicator, kind: str) -> bool:
    """Expected figures: the responsible unit; actual figures: the data-source unit; both: the office."""
    unit_id = indicator.responsible_unit_id if kind == FigureKind.EXPECTED else indicator.source_unit_id
    return _acts_for(user, unit_id) or is_indicator_office(user, indicator)


def may_confirm(user: Person, indicator: Indicator) -> bool:
    """Confirming and correcting: the data-source unit or the office."""
    return _acts_for(user, indicator.source_unit_id) or is_indicator_office(user, indicator)


def _require_report(user: Person, indicator: Indicator, kind: str) -> None:
    if may_report(user, indicator, kind):
        return
    if kind == FigureKind.EXPECTED:
        message = _("只有责任单位(%(unit)s)或督查室可以填报“%(name)s”的预计数。")
        unit = indicator.responsible_unit
    else:
        message = _("只有数据来源单位(%(unit)s)或督查室可以填报“%(name)s”的实际数。")
        unit = indicator.source_unit
    raise PermissionDenied(message % {"unit": unit.name, "name": indicator.name})


def _require_confirm(user: Person, indicator: Indicator, action: str) -> None:
    if not may_confirm(user, indicator):
        raise PermissionDenied(
            _("只有数据来源单位(%(unit)s)或督查室可以%(action)s“%(name)s”的数据。")
            % {"unit": indicator.source_unit.name, "action": action, "name": indicator.name}
        )


# ---- Indicators and targets ---------------------------------------------------------------------


def _check_unit_in_campaign(unit: Unit, campaign: Campaign, field: str) -> None:
    if not unit.path.startswith(campaign.owner.path):
        raise ValidationError(
            {field: _("%(unit)s不在%(owner)s范围内。") % {"unit": unit.name, "owner": campaign.owner.name}}
        )


def _check_tasks(tasks: Iterable[Task], campaign: Campaign) -> list[Task]:
    tasks = list(dict.fromkeys(tasks))
    if any(task.campaign_id != campaign.pk for task in tasks):
        raise ValidationError({"tasks": _("相关任务必须属于同一次冬季行动。")})
    return tasks


def _full_clean(indicator: Indicator) -> None:
    if indicator.kind not in IndicatorKind.values:
        raise ValidationError({"kind": _("未知的指标类型:%(kind)s。") % {"kind": indicator.kind}})
    _check_unit_in_campaign(indicator.responsible_unit, indicator.campaign, "responsible_unit")
    _check_unit_in_campaign(indicator.source_unit, indicator.campaign, "source_unit")
    indicator.full_clean()


@transaction.atomic
def indicator_create(
    *,
    campaign: Campaign,
    name: str,
    measure: str,
    kind: str,
    responsible_unit: Unit,
    source_unit: Unit,
    by: Person | None,
    annual_target=None,
    tasks: Iterable[Task] = (),
    sort_order: int = 0,
) -> Indicator:
    """A new indicator of `campaign` (the office of its region; `by=None` is the demo loader)."""
    if by is not None:
        require_office_for(by, campaign.owner, _("设置指标"))
    indicator = Indicator(
        campaign=campaign,
        name=require_text(name, "name", _("指标名称")),
        measure=require_text(measure, "measure", _("计量单位")),
        kind=kind,
        responsible_unit=responsible_unit,
        source_unit=source_unit,
        annual_target=None
        if annual_target in (None, "")
        else to_decimal(annual_target, "annual_target", _("年度目标")),
        sort_order=sort_order,
    )
    _full_clean(indicator)
    indicator.save()
    indicator.tasks.set(_check_tasks(tasks, campaign))
    return indicator


INDICATOR_FIELDS = frozenset(
    {"name", "measure", "kind", "responsible_unit", "source_unit", "annual_target", "tasks", "sort_order"}
)


@transaction.atomic
def indicator_update(*, indicator: Indicator, by: Person, **changes) -> Indicator:
    """Change an indicator's name, measure, kind, units, annual target, linked tasks or order."""
    unknown = set(changes) - INDICATOR_FIELDS
    if unknown:
        raise TypeError(f"indicator_update() got unexpected fields: {sorted(unknown)}")
    indicator = Indicator.objects.select_for_update().select_related("campaign__owner").get(pk=indicator.pk)
    require_office_for(by, indicator.campaign.owner, _("修改指标"))
    tasks = changes.pop("tasks", None)
    if "name" in changes:
        changes["name"] = require_text(changes["name"], "name", _("指标名称"))
    if "measure" in changes:
        changes["measure"] = require_text(changes["measure"], "measure", _("计量单位"))
    if "annual_target" in changes and changes["annual_target"] not in (None, ""):
        changes["annual_target"] = to_decimal(changes["annual_target"], "annual_target", _("年度目标"))
    elif "annual_target" in changes:
        changes["annual_target"] = None
    for name, value in changes.items():
        setattr(indicator, name, value)
    _full_clean(indicator)
    indicator.save()
    if tasks is not None:
        indicator.tasks.set(_check_tasks(tasks, indicator.campaign))
    return indicator


@transaction.atomic
def indicator_target_set(*, indicator: Indicator, month, target, by: Person | None) -> IndicatorTarget | None:
    """Set the month's target (the office); `target=None` removes it. `month` may be any day of it."""
    if by is not None:
        require_office_for(by, indicator.campaign.owner, _("设置指标目标"))
    month = month_start(month)
    if target is None or target == "":
        IndicatorTarget.objects.filter(indicator=indicator, month=month).delete()
        return None
    value = to_decimal(target, "target", _("目标值"))
    if indicator.kind == IndicatorKind.CUMULATIVE and value < 0:
        raise ValidationError({"target": _("累计值指标的目标不能为负数。")})
    row, _created = IndicatorTarget.objects.update_or_create(
        indicator=indicator, month=month, defaults={"target": value}
    )
    return row


# ---- Figures ----------------------------------------------------------------------------------------


def _locked_indicator(indicator: Indicator) -> Indicator:
    return (
        Indicator.objects.select_for_update(of=("self",))
        .select_related("campaign__owner", "responsible_unit", "source_unit")
        .get(pk=indicator.pk)
    )


def _check_value(indicator: Indicator, value) -> Decimal:
    number = to_decimal(value, "value", _("数值"))
    if indicator.kind == IndicatorKind.CUMULATIVE and number < 0:
        raise ValidationError({"value": _("累计值不能为负数。")})
    return number


def _revise(
    figure: IndicatorFigure,
    *,
    value: Decimal,
    gap_reason: str,
    measures: str,
    by: Person,
    reason: str = "",
    correction: bool = False,
) -> IndicatorFigureRevision:
    revision = IndicatorFigureRevision.objects.create(
        figure=figure,
        value_before=figure.value,
        value_after=value,
        gap_reason_before=figure.gap_reason,
        gap_reason_after=gap_reason,
        measures_before=figure.measures,
        measures_after=measures,
        correction=correction,
        reason=reason,
        by=by,
        at=clock.now(),
    )
    figure.value, figure.gap_reason, figure.measures = value, gap_reason, measures
    return revision


@transaction.atomic
def indicator_figure_report(
    *,
    indicator: Indicator,
    month,
    kind: str,
    value,
    gap_reason: str = "",
    measures: str = "",
    by: Person,
) -> IndicatorFigure:
    """Report the month's expected (responsible unit) or actual (source unit) figure.

    Reporting again before confirmation updates the figure and records the change; a confirmed
    figure changes only through `indicator_figure_correct`."""
    if kind not in FigureKind.values:
        raise ValidationError({"kind": _("未知的数据类型:%(kind)s。") % {"kind": kind}})
    indicator = _locked_indicator(indicator)
    _require_report(by, indicator, kind)
    month = month_start(month)
    if kind == FigureKind.ACTUAL and month > month_start(clock.now()):
        raise ValidationError({"month": _("不能填报尚未到来月份的实际数。")})
    number = _check_value(indicator, value)
    gap_reason, measures = (gap_reason or "").strip(), (measures or "").strip()
    figure = (
        IndicatorFigure.objects.select_for_update()
        .filter(indicator=indicator, month=month, kind=kind)
        .first()
    )
    if figure is None:
        figure = IndicatorFigure(
            indicator=indicator,
            month=month,
            kind=kind,
            value=number,
            gap_reason=gap_reason,
            measures=measures,
            reported_by=by,
            reported_at=clock.now(),
        )
        figure.full_clean()
        figure.save()
        return figure
    if figure.is_confirmed:
        raise InvalidTransition(
            _("%(month)s“%(name)s”的%(kind)s已确认,只能由数据来源单位或督查室更正并说明理由。")
            % {"month": f"{month:%Y-%m}", "name": indicator.name, "kind": figure.get_kind_display()}
        )
    if (number, gap_reason, measures) == (figure.value, figure.gap_reason, figure.measures):
        return figure
    _revise(figure, value=number, gap_reason=gap_reason, measures=measures, by=by)
    figure.reported_by, figure.reported_at = by, clock.now()
    figure.full_clean()
    figure.save()
    return figure


def _locked_figure(figure: IndicatorFigure) -> IndicatorFigure:
    return (
        IndicatorFigure.objects.select_for_update(of=("self",))
        .select_related("indicator__campaign__owner", "indicator__responsible_unit", "indicator__source_unit")
        .get(pk=figure.pk)
    )


@transaction.atomic
def indicator_figure_confirm(*, figure: IndicatorFigure, by: Person) -> IndicatorFigure:
    """The data-source unit (or the office) confirms a figure; from then on it is only corrected."""
    figure = _locked_figure(figure)
    _require_confirm(by, figure.indicator, _("确认"))
    if figure.is_confirmed:
        raise InvalidTransition(
            _("该数据已于 %(at)s 确认。")
            % {"at": f"{timezone.localtime(figure.confirmed_at):%Y-%m-%d %H:%M}"}
        )
    figure.confirmed_by, figure.confirmed_at = by, clock.now()
    figure.save(update_fields=["confirmed_by", "confirmed_at"])
    return figure


@transaction.atomic
def indicator_figure_correct(
    *,
    figure: IndicatorFigure,
    value,
    reason: str,
    by: Person,
    gap_reason: str | None = None,
    measures: str | None = None,
) -> IndicatorFigure:
    """Correct a confirmed figure (the data-source unit or the office), with a reason kept in its history.

    `gap_reason` and `measures` stay as they are unless given. The corrected figure stays confirmed, now
    by whoever corrected it."""
    figure = _locked_figure(figure)
    _require_confirm(by, figure.indicator, _("更正"))
    if not figure.is_confirmed:
        raise InvalidTransition(_("该数据尚未确认,直接重新填报即可,无需更正。"))
    reason = require_text(reason, "reason", _("更正理由"))
    number = _check_value(figure.indicator, value)
    gap_reason = figure.gap_reason if gap_reason is None else gap_reason.strip()
    measures = figure.measures if measures is None else measures.strip()
    if (number, gap_reason, measures) == (figure.value, figure.gap_reason, figure.measures):
        raise ValidationError({"value": _("更正后的数据与原数据相同。")})
    _revise(
        figure, value=number, gap_reason=gap_reason, measures=measures, by=by, reason=reason, correction=True
    )
    figure.confirmed_by, figure.confirmed_at = by, clock.now()
    figure.full_clean()
    figure.save()
    return figure


# ---- Reporting calendar -------------------------------------------------------------------------------


def indicator_schedule_for(campaign: Campaign) -> IndicatorSchedule:
    """The campaign's reporting calendar, or the defaults (unsaved) when it has none."""
    schedule = IndicatorSchedule.objects.filter(campaign=campaign).first()
    return schedule or IndicatorSchedule(campaign=campaign)


@transaction.atomic
def indicator_schedule_set(
    *, campaign: Campaign, reporting_day: int, remind_days_before: int = 3, by: Person | None
) -> IndicatorSchedule:
    if by is not None:
        require_office_for(by, campaign.owner, _("设置指标报送安排"))
    schedule = IndicatorSchedule.objects.filter(campaign=campaign).first() or IndicatorSchedule(
        campaign=campaign
    )
    schedule.reporting_day, schedule.remind_days_before = reporting_day, remind_days_before
    schedule.full_clean()
    schedule.save()
    return schedule


# ---- Reads ------------------------------------------------------------------------------------------


def indicators_visible_to(user) -> QuerySet[Indicator]:
    """Indicators of the campaigns the user reads: public figures within the region (writes are checked
    by the services)."""
    return Indicator.objects.filter(access_for(user).campaign_q("campaign__")).select_related(
        "campaign__owner", "responsible_unit", "source_unit"
    )


def indicator_get_for(user, pk) -> Indicator:
    try:
        return indicators_visible_to(user).get(pk=pk)
    except (Indicator.DoesNotExist, ValueError, TypeError):
        raise Http404("No indicator matches the given query.") from None


def figures_visible_to(user) -> QuerySet[IndicatorFigure]:
    return IndicatorFigure.objects.filter(
        access_for(user).campaign_q("indicator__campaign__")
    ).select_related(
        "indicator__campaign__owner",
        "indicator__responsible_unit",
        "indicator__source_unit",
        "reported_by__unit",
        "confirmed_by__unit",
    )


FIGURE_COLUMNS = (
    "id",
    "indicator_id",
    "month",
    "kind",
    "value",
    "gap_reason",
    "measures",
    "reported_by_id",
    "reported_at",
    "confirmed_by_id",
    "confirmed_at",
)


def _figure_cell(row: dict | None) -> dict | None:
    if row is None:
        return None
    return {
        "id": row["id"],
        "value": plain(row["value"]),
        "gap_reason": row["gap_reason"],
        "measures": row["measures"],
        "reported_by_id": row["reported_by_id"],
        "reported_at": row["reported_at"],
        "confirmed": row["confirmed_at"] is not None,
        "confirmed_by_id": row["confirmed_by_id"],
        "confirmed_at": row["confirmed_at"],
    }


def month_cell(
    month: datetime.date, target: Decimal | None, expected: dict | None, actual: dict | None
) -> dict:
    """One indicator's month: the figure compared with the target is the actual one, or the expected one
    while there is no actual yet."""
    used = actual if actual is not None else expected
    value = used["value"] if used is not None else None
    has_both = value is not None and target is not None
    return {
        "month": month,
        "target": plain(target),
        "expected": plain(expected["value"]) if expected else None,
        "actual": plain(actual["value"]) if actual else None,
        "value": plain(value),
        "basis": None if used is None else (FigureKind.ACTUAL.value if actual else FigureKind.EXPECTED.value),
        "completion": completion_rate(value, target),
        "gap": plain(value - target) if has_both else None,
        "behind": bool(has_both and value < target),
        "expected_figure": _figure_cell(expected),
        "actual_figure": _figure_cell(actual),
    }


def indicator_table(
    user,
    *,
    campaign: Campaign,
    months: Iterable[datetime.date] | None = None,
    indicators: QuerySet[Indicator] | None = None,
) -> list[dict]:
    """One row per indicator of `campaign` the user reads, in order, each with a cell per month.

    `months` (any day of each; default: every month with a target or a figure) is the same for every row.
    A row: id, name, measure, kind, kind_label, responsible_unit / source_unit ({"id", "name"}),
    annual_target, months: [cell], where a cell (see `month_cell`) has month, target, expected, actual,
    value (actual, else expected), basis, completion (% with one decimal; None without a target or with
    a target of 0), gap (value − target; percentage points for a growth rate), behind (value < target),
    expected_figure / actual_figure (the figures' ids, texts and confirmation, or None).
    Decimals and dates: `table_jsonable` turns them into strings for storing.
    `indicators` narrows the rows (a queryset of visible indicators, e.g. the API's filtered list).

    Three queries whatever the number of indicators (indicators, targets, figures), after the user's
    access (one, cached on the user)."""
    queryset = indicators if indicators is not None else indicators_visible_to(user)
    rows = list(
        queryset.filter(campaign=campaign)
        .order_by("sort_order", "id")
        .values(
            "id",
            "name",
            "measure",
            "kind",
            "annual_target",
            "sort_order",
            "responsible_unit_id",
            "responsible_unit__name",
            "source_unit_id",
            "source_unit__name",
        )
    )
    wanted = None if months is None else sorted({month_start(m) for m in months})
    ids = [row["id"] for row in rows]
    if not ids:
        return []
    month_filter = Q() if wanted is None else Q(month__in=wanted)
    targets = {
        (t["indicator_id"], t["month"]): t["target"]
        for t in IndicatorTarget.objects.filter(month_filter, indicator_id__in=ids).values(
            "indicator_id", "month", "target"
        )
    }
    figures = {
        (f["indicator_id"], f["month"], f["kind"]): f
        for f in IndicatorFigure.objects.filter(month_filter, indicator_id__in=ids).values(*FIGURE_COLUMNS)
    }
    if wanted is None:
        wanted = sorted({month for _i, month in targets} | {month for _i, month, _k in figures})
    labels = dict(IndicatorKind.choices)
    table = []
    for row in rows:
        pk = row["id"]
        table.append(
            {
                "id": pk,
                "name": row["name"],
                "measure": row["measure"],
                "kind": row["kind"],
                "kind_label": str(labels.get(row["kind"], row["kind"])),
                "sort_order": row["sort_order"],
                "responsible_unit": {"id": row["responsible_unit_id"], "name": row["responsible_unit__name"]},
                "source_unit": {"id": row["source_unit_id"], "name": row["source_unit__name"]},
                "annual_target": plain(row["annual_target"]),
                "months": [
                    month_cell(
                        month,
                        targets.get((pk, month)),
                        figures.get((pk, month, FigureKind.EXPECTED)),
                        figures.get((pk, month, FigureKind.ACTUAL)),
                    )
                    for month in wanted
                ],
            }
        )
    return table


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


def table_jsonable(rows: list[dict]) -> list[dict]:
    """`indicator_table` rows with decimals as strings ("12.3") and dates in ISO form, for a JSONField."""
    return _jsonable(rows)
