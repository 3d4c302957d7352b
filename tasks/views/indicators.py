"""指标: the campaign's indicators × months, the monthly entry form of a unit, corrections and the
import of the month's figures from a sheet.

The table reads only `tasks.indicators.indicator_table` (a fixed number of queries); every write goes
through the services in tasks/indicators.py. The entry form saves all its rows in one transaction:
a row refused (by the form or by a service) re-shows the form with its error and saves nothing.
"""

import datetime
import re
from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from winteraction import xlsx
from winteraction.parsing import whole_number

from ..imports import ImportRefused
from ..indicator_import import (
    FiguresRefused,
    campaign_months,
    error_text,
    figures_import,
    figures_template,
    month_label,
    parse_value,
    reported_pairs,
    template_filename,
)
from ..indicators import (
    figures_visible_to,
    indicator_figure_confirm,
    indicator_figure_correct,
    indicator_figure_report,
    indicator_table,
    indicators_visible_to,
    may_confirm,
    month_start,
)
from ..models import FigureKind, IndicatorFigure, IndicatorTarget
from .common import current_campaign

TEXT_LENGTH = 2000


# ---- Months -------------------------------------------------------------------------------------------


def _month_param(value: str | None, months: list[datetime.date]) -> datetime.date | None:
    """`2026-11` if it is one of the campaign's months, else None."""
    try:
        month = month_start(value) if value else None
    except ValidationError:
        return None
    return month if month in months else None


def reporting_month(months: list[datetime.date]) -> datetime.date | None:
    """The month being reported now (the previous one), kept inside the campaign's months."""
    if not months:
        return None
    today = timezone.localdate()
    previous = month_start(today.replace(day=1) - datetime.timedelta(days=1))
    if previous in months:
        return previous
    return months[0] if previous < months[0] else months[-1]


def _month_choices(months):
    return [(f"{month:%Y-%m}", month_label(month)) for month in months]


# ---- The table ------------------------------------------------------------------------------------------


@require_http_methods(["GET"])
@login_required
def indicator_list(request):
    """Indicators × months: target, 预计, 实际, completion and gap, a cell marked when behind."""
    campaign = current_campaign(request)
    months = campaign_months(campaign) if campaign is not None else []
    chosen_month = _month_param(request.GET.get("month"), months)
    shown = [chosen_month] if chosen_month else months
    rows = indicator_table(request.user, campaign=campaign, months=shown) if campaign is not None else []
    units = sorted(
        {(row["responsible_unit"]["id"], row["responsible_unit"]["name"]) for row in rows}, key=lambda u: u[1]
    )
    chosen_unit = request.GET.get("unit") or ""
    if whole_number(chosen_unit) is not None:
        rows = [row for row in rows if str(row["responsible_unit"]["id"]) == chosen_unit]
    else:
        chosen_unit = ""
    context = {
        "campaign": campaign,
        "months": shown,
        "month_choices": _month_choices(months),
        "chosen_month": f"{chosen_month:%Y-%m}" if chosen_month else "",
        "units": units,
        "chosen_unit": chosen_unit,
        "rows": rows,
        "behind_count": sum(1 for row in rows for cell in row["months"] if cell["behind"]),
        "entry_url": reverse("indicator-entry"),
        "nav_section": "indicators",
    }
    return render(request, "tasks/indicator_list.html", context)


# ---- The monthly entry form -------------------------------------------------------------------------


@dataclass
class EntryRow:
    """One figure a unit reports in the month: its inputs, the figure already there, its errors."""

    indicator: object
    kind: str
    target: object
    figure: IndicatorFigure | None
    value: str = ""
    gap_reason: str = ""
    measures: str = ""
    errors: list[str] = field(default_factory=list)
    can_confirm: bool = False
    can_correct: bool = False

    @property
    def prefix(self) -> str:
        return f"f{self.indicator.pk}-{self.kind}"

    @property
    def target_text(self) -> str:
        return "—" if self.target is None else _plain(self.target)

    @property
    def kind_label(self) -> str:
        return FigureKind(self.kind).label

    @property
    def confirmed(self) -> bool:
        return self.figure is not None and self.figure.confirmed_at is not None

    @property
    def changed(self) -> bool:
        figure = self.figure
        if figure is None:
            return True
        try:
            value = parse_value(self.value)
        except ValidationError:
            return True
        return (value, self.gap_reason, self.measures) != (figure.value, figure.gap_reason, figure.measures)


_FIELD = re.compile(r"^f(\d+)-(expected|actual)-(value|gap_reason|measures)$")


def _entry_rows(request, campaign, month) -> list[EntryRow]:
    """The figures the user reports in `month` (the office: all), with targets and figures (three
    queries: indicators, targets, figures)."""
    indicators = list(
        indicators_visible_to(request.user).filter(campaign=campaign).order_by("sort_order", "id")
    )
    targets = {
        target.indicator_id: target.target
        for target in IndicatorTarget.objects.filter(indicator__campaign=campaign, month=month)
    }
    figures = {
        (figure.indicator_id, figure.kind): figure
        for figure in IndicatorFigure.objects.filter(
            indicator__campaign=campaign, month=month
        ).select_related("reported_by__unit", "confirmed_by__unit")
    }
    rows = []
    for indicator, kind in reported_pairs(request.user, indicators):
        figure = figures.get((indicator.pk, kind))
        row = EntryRow(indicator=indicator, kind=kind, target=targets.get(indicator.pk), figure=figure)
        if figure is not None:
            row.value = _plain(figure.value)
            row.gap_reason, row.measures = figure.gap_reason, figure.measures
        row.can_confirm = (
            kind == FigureKind.ACTUAL
            and figure is not None
            and not row.confirmed
            and may_confirm(request.user, indicator)
        )
        row.can_correct = row.confirmed and may_confirm(request.user, indicator)
        rows.append(row)
    return rows


def _plain(value) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _entry_page(request, campaign, months, month, rows, *, status=200):
    context = {
        "campaign": campaign,
        "month": month,
        "month_value": f"{month:%Y-%m}" if month else "",
        "month_choices": _month_choices(months),
        "rows": rows,
        "error_count": sum(1 for row in rows if row.errors),
        "nav_section": "indicators",
    }
    return render(request, "tasks/indicator_entry.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def indicator_entry(request):
    """The month's figures of my unit on one page: 预计 where my unit is responsible, 实际 where it
    is the source; the office sees them all. POST saves every changed row or none."""
    campaign = current_campaign(request)
    months = campaign_months(campaign) if campaign is not None else []
    source = request.POST if request.method == "POST" else request.GET
    month = _month_param(source.get("month"), months) or reporting_month(months)
    if campaign is None or month is None:
        return _entry_page(request, campaign, months, None, [])
    rows = _entry_rows(request, campaign, month)
    if request.method != "POST":
        return _entry_page(request, campaign, months, month, rows)

    offered = {(row.indicator.pk, row.kind) for row in rows}
    for name, value in request.POST.items():
        match = _FIELD.match(name)
        if match and value.strip() and (int(match[1]), match[2]) not in offered:
            # A figure this page does not offer: another unit's (the services would refuse it too).
            raise PermissionDenied(_("只能填报本单位负责的指标数据。"))
    to_save = []
    for row in rows:
        if row.confirmed:
            continue  # read-only: changed only through a correction
        posted = {
            key: request.POST.get(f"{row.prefix}-{key}", "").strip()
            for key in ("value", "gap_reason", "measures")
        }
        row.value, row.gap_reason, row.measures = posted["value"], posted["gap_reason"], posted["measures"]
        if not row.value:
            if row.figure is not None:
                row.errors.append(_("已填报的数值不能清空。"))
            elif row.gap_reason or row.measures:
                row.errors.append(_("请填写数值。"))
            continue
        try:
            parse_value(row.value)
        except ValidationError as error:
            row.errors.append(error_text(error))
            continue
        for key, label in (("gap_reason", _("差距原因")), ("measures", _("措施"))):
            if len(posted[key]) > TEXT_LENGTH:
                row.errors.append(_("%(label)s超过 %(limit)s 字。") % {"label": label, "limit": TEXT_LENGTH})
        if not row.errors and row.changed:
            to_save.append(row)
    if not any(row.errors for row in rows):
        with transaction.atomic():
            for row in to_save:
                try:
                    indicator_figure_report(
                        indicator=row.indicator,
                        month=month,
                        kind=row.kind,
                        value=parse_value(row.value),
                        gap_reason=row.gap_reason,
                        measures=row.measures,
                        by=request.user,
                    )
                except (ValidationError, PermissionDenied) as error:
                    row.errors.append(error_text(error))
            if any(row.errors for row in rows):
                transaction.set_rollback(True)
    if any(row.errors for row in rows):
        return _entry_page(request, campaign, months, month, rows, status=400)
    if to_save:
        messages.success(request, _("已保存 %(count)s 项指标数据。") % {"count": len(to_save)})
    else:
        messages.info(request, _("没有需要保存的修改。"))
    return redirect(f"{reverse('indicator-entry')}?{urlencode({'month': f'{month:%Y-%m}'})}")


def _figure_for(request, pk) -> IndicatorFigure:
    return get_object_or_404(figures_visible_to(request.user), pk=pk)


def _back_to_entry(figure) -> str:
    return f"{reverse('indicator-entry')}?{urlencode({'month': f'{figure.month:%Y-%m}'})}"


@require_POST
@login_required
def indicator_figure_confirm_view(request, pk):
    """确认: the source unit (or the office) confirms an actual figure."""
    figure = _figure_for(request, pk)
    try:
        indicator_figure_confirm(figure=figure, by=request.user)
    except PermissionDenied:
        raise
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request,
            _("已确认 %(indicator)s 的%(kind)s数。")
            % {"indicator": figure.indicator.name, "kind": figure.get_kind_display()},
        )
    return redirect(_back_to_entry(figure))


class CorrectionForm(forms.Form):
    value = forms.CharField(label=gettext_lazy("更正后的数值"), max_length=40)
    gap_reason = forms.CharField(
        label=gettext_lazy("差距原因"),
        required=False,
        max_length=TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    measures = forms.CharField(
        label=gettext_lazy("措施"),
        required=False,
        max_length=TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reason = forms.CharField(
        label=gettext_lazy("更正理由"), max_length=TEXT_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, formfield in self.fields.items():
            formfield.widget.attrs["class"] = "form-control"
            if self.is_bound and name in self.errors:
                formfield.widget.attrs.update({"class": "form-control is-invalid", "aria-invalid": "true"})

    def clean_value(self):
        return parse_value(self.cleaned_data["value"])

    def add_service_error(self, error: ValidationError | PermissionDenied) -> None:
        if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, error_text(error))


@require_http_methods(["GET", "POST"])
@login_required
def indicator_figure_correct_view(request, pk):
    """更正: a confirmed figure changes only with a reason, kept in its history (shown here)."""
    figure = _figure_for(request, pk)
    if not may_confirm(request.user, figure.indicator):
        raise PermissionDenied(
            _("只有数据来源单位(%(unit)s)或督查室可以更正这项数据。")
            % {"unit": figure.indicator.source_unit.name}
        )
    if request.method == "POST":
        form = CorrectionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                indicator_figure_correct(
                    figure=figure,
                    value=data["value"],
                    reason=data["reason"],
                    gap_reason=data["gap_reason"],
                    measures=data["measures"],
                    by=request.user,
                )
            except (ValidationError, PermissionDenied) as error:
                form.add_service_error(error)
            else:
                messages.success(request, _("已更正,原数据保留在修改记录中。"))
                return redirect(_back_to_entry(figure))
    else:
        form = CorrectionForm(
            initial={
                "value": _plain(figure.value),
                "gap_reason": figure.gap_reason,
                "measures": figure.measures,
            }
        )
    context = {
        "figure": figure,
        "month_label": month_label(figure.month),
        "form": form,
        "value_text": _plain(figure.value),
        "revisions": [
            {
                "revision": revision,
                "before": _plain(revision.value_before),
                "after": _plain(revision.value_after),
            }
            for revision in figure.revisions.select_related("by__unit").order_by("-at", "-id")
        ],
        "back_url": _back_to_entry(figure),
        "nav_section": "indicators",
    }
    return render(request, "tasks/indicator_correct.html", context, status=400 if form.errors else 200)


# ---- Import ------------------------------------------------------------------------------------------------


class FiguresUploadForm(forms.Form):
    month = forms.ChoiceField(label=gettext_lazy("月份"))
    file = forms.FileField(
        label=gettext_lazy("指标填报表(.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def __init__(self, *args, months, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = _month_choices(months)

        self.fields["month"].widget.attrs["class"] = "form-select"
        self.fields["file"].widget.attrs["class"] = "form-control"

    def clean_month(self):
        return month_start(self.cleaned_data["month"])


@require_http_methods(["GET", "POST"])
@login_required
def indicator_import(request):
    """Upload the month's figures (.xlsx): every row checked, all written or none."""
    campaign = current_campaign(request)
    months = campaign_months(campaign) if campaign is not None else []
    default = reporting_month(months)
    problems = []
    form = FiguresUploadForm(
        request.POST or None,
        request.FILES or None,
        months=months,
        initial={"month": f"{default:%Y-%m}" if default else ""},
    )
    if request.method == "POST":
        if campaign is None:
            form.is_valid()
            form.add_error(None, _("没有可用的冬季行动。"))
        elif form.is_valid():
            try:
                count = figures_import(
                    campaign=campaign,
                    file=form.cleaned_data["file"],
                    month=form.cleaned_data["month"],
                    by=request.user,
                )
            except FiguresRefused as refused:
                problems = refused.problems
            except ImportRefused as refused:
                form.add_error("file", refused.messages)
            except PermissionDenied as error:
                form.add_error("file", error_text(error))
            else:
                messages.success(request, _("已导入 %(count)s 项指标数据。") % {"count": count})
                month = form.cleaned_data["month"]
                return redirect(f"{reverse('indicator-entry')}?{urlencode({'month': f'{month:%Y-%m}'})}")
    status = 400 if (form.errors or problems) else 200
    context = {
        "campaign": campaign,
        "form": form,
        "problems": problems,
        "template_url": reverse("indicator-import-template"),
        "month_choices": _month_choices(months),
        "default_month": f"{default:%Y-%m}" if default else "",
        "nav_section": "indicators",
    }
    return render(request, "tasks/indicator_import.html", context, status=status)


@require_http_methods(["GET"])
@login_required
def indicator_import_template(request):
    """The sheet to fill in, with the figures I report that month already listed."""
    campaign = current_campaign(request)
    months = campaign_months(campaign) if campaign is not None else []
    month = _month_param(request.GET.get("month"), months) or reporting_month(months)
    if campaign is None or month is None:
        raise Http404(_("没有可用的冬季行动。"))
    content = figures_template(campaign=campaign, month=month, by=request.user)
    response = HttpResponse(content, content_type=xlsx.XLSX_TYPE)
    response["Content-Disposition"] = xlsx.attachment(
        template_filename(campaign, month), fallback="indicators.xlsx"
    )
    return response


urlpatterns = [
    path("indicators/", indicator_list, name="indicator-list"),
    path("indicators/entry/", indicator_entry, name="indicator-entry"),
    path("indicators/import/", indicator_import, name="indicator-import"),
    path("indicators/import/template.xlsx", indicator_import_template, name="indicator-import-template"),
    path(
        "indicators/figures/<int:pk>/confirm/", indicator_figure_confirm_view, name="indicator-figure-confirm"
    ),
    path(
        "indicators/figures/<int:pk>/correct/", indicator_figure_correct_view, name="indicator-figure-correct"
    ),
]
