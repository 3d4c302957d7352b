"""Indicators in the admin: for reading. Indicators, targets and figures are written on the indicator
pages and through the API, where the services check who may (a confirmed figure only by correction)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import Indicator, IndicatorFigure, IndicatorFigureRevision, IndicatorSchedule, IndicatorTarget
from .base import ReadOnlyAdmin, ServiceInlineMixin, unit_q


class IndicatorTargetInline(ServiceInlineMixin, admin.TabularInline):
    model = IndicatorTarget
    extra = 0
    fields = ["month", "target"]
    readonly_fields = fields
    ordering = ["month"]
    verbose_name_plural = _("月度目标")


@admin.register(Indicator)
class IndicatorAdmin(ReadOnlyAdmin):
    list_display = ["name", "campaign", "kind", "measure", "responsible_unit", "source_unit", "annual_target"]
    list_filter = ["kind"]
    search_fields = ["name"]
    list_select_related = ["campaign", "responsible_unit", "source_unit"]
    fields = [
        "campaign",
        "name",
        "measure",
        "kind",
        "responsible_unit",
        "source_unit",
        "annual_target",
        "sort_order",
    ]
    inlines = [IndicatorTargetInline]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(unit_q(request.user, "campaign__owner__"))


class RevisionInline(ServiceInlineMixin, admin.TabularInline):
    """The figure's history: every update before confirmation and every correction after."""

    model = IndicatorFigureRevision
    extra = 0
    fields = [
        "at",
        "by",
        "value_before",
        "value_after",
        "correction",
        "reason",
        "gap_reason_after",
        "measures_after",
    ]
    readonly_fields = fields
    ordering = ["at", "id"]
    verbose_name_plural = _("修改记录")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by__unit")


@admin.register(IndicatorFigure)
class IndicatorFigureAdmin(ReadOnlyAdmin):
    list_display = ["indicator", "month", "kind", "value", "reported_by", "reported_at", "confirmed_at"]
    list_filter = ["kind", "month"]
    search_fields = ["indicator__name"]
    list_select_related = ["indicator", "reported_by__unit"]
    inlines = [RevisionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(unit_q(request.user, "indicator__campaign__owner__"))


@admin.register(IndicatorSchedule)
class IndicatorScheduleAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "reporting_day", "remind_days_before"]
    list_select_related = ["campaign"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(unit_q(request.user, "campaign__owner__"))
