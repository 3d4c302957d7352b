"""FilterSets shared by the HTML lists and the API: one per listable model."""

import django_filters as filters
from django.db.models import Exists, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import flags
from .models import (
    OPEN_STATUSES,
    Attachment,
    Campaign,
    ExtensionRequest,
    ExtensionStatus,
    FigureKind,
    Indicator,
    IndicatorFigure,
    Milestone,
    Person,
    ProgressReport,
    Role,
    SpecialAction,
    Task,
    TaskCooperation,
    TaskStatus,
    Unit,
    UnitKind,
)
from .selectors import awaiting_report_q, charged_by_q, pending_extension_subquery, with_last_report_of


class UnitFilterById(filters.ModelChoiceFilter):
    """A unit given by its id, handled by a filter method. `field_name` names a foreign key to a
    unit only so that the schema can tell the parameter's type."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, queryset=Unit.objects.all(), **kwargs)


class FlagFilter(filters.BooleanFilter):
    """`overdue=true` keeps the flagged tasks, `overdue=false` the others (same rules as the output fields)."""

    def __init__(self, condition, *args, **kwargs):
        self.condition = condition
        super().__init__(*args, method=self.apply, **kwargs)

    def apply(self, queryset, name, value):
        if value is None:
            return queryset
        condition = self.condition(timezone.localdate())
        return queryset.filter(condition) if value else queryset.exclude(condition)


class TaskFilter(filters.FilterSet):
    campaign = filters.ModelChoiceFilter(queryset=Campaign.objects.all(), label=_("冬季行动"))
    special_action = filters.ModelChoiceFilter(queryset=SpecialAction.objects.all(), label=_("专项行动"))
    lead_unit = filters.ModelChoiceFilter(queryset=Unit.objects.all(), label=_("牵头单位"))
    unit = UnitFilterById(field_name="lead_unit", method="filter_unit", label=_("责任单位(牵头或配合)"))
    county = UnitFilterById(
        field_name="lead_unit", method="filter_county", label=_("地区(该单位及其下属单位牵头的任务)")
    )
    leader = filters.ModelChoiceFilter(
        field_name="responsible_leader",
        queryset=Person.objects.filter(role=Role.LEADER),
        label=_("责任领导"),
    )
    # 分管/包联: the tasks led by a unit the leader answers for (LeaderCharge); served by the index of
    # leader_charge_unique (leader first) and the task's lead_unit index.
    charged_by = filters.ModelChoiceFilter(
        field_name="responsible_leader",  # only for the schema's type; filter_charged_by applies it
        queryset=Person.objects.filter(role=Role.LEADER),
        method="filter_charged_by",
        label=_("分管/包联领导"),
    )
    # distinct=False: a status is a column of the task, no join can repeat a row, and DISTINCT would
    # sort every matching row (a sequential scan on a province).
    status = filters.MultipleChoiceFilter(choices=TaskStatus.choices, label=_("状态"), distinct=False)
    overdue = FlagFilter(flags.overdue_q, label=_("逾期"))
    due_soon = FlagFilter(flags.due_soon_q, label=_("临期"))
    behind = FlagFilter(flags.behind_q, label=_("滞后"))
    deadline_after = filters.DateFilter(field_name="deadline", lookup_expr="gte", label=_("完成时限不早于"))
    deadline_before = filters.DateFilter(field_name="deadline", lookup_expr="lte", label=_("完成时限不晚于"))
    updated_since = filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label=_("此时间以后有变动")
    )
    search = filters.CharFilter(method="filter_search", label=_("搜索(编号、名称、内容)"))
    returned = filters.BooleanFilter(method="filter_returned", label=_("被退回"))
    awaiting_report = filters.BooleanFilter(method="filter_awaiting_report", label=_("待本单位填报"))
    extension_pending = filters.BooleanFilter(method="filter_extension_pending", label=_("延期申请待审批"))

    ordering = filters.OrderingFilter(
        fields=(
            ("deadline", "deadline"),
            ("progress", "progress"),
            ("updated_at", "updated_at"),
            ("code", "code"),
        ),
        label=_("排序"),
    )

    parent = filters.ModelChoiceFilter(queryset=Task.objects.all(), label=_("上级任务(列出其子任务)"))

    class Meta:
        model = Task
        fields = ["campaign", "special_action", "lead_unit", "status", "priority", "parent"]

    def filter_unit(self, queryset, name, unit):
        cooperating = TaskCooperation.objects.filter(unit=unit).values("task")
        return queryset.filter(Q(lead_unit=unit) | Q(pk__in=cooperating))

    def filter_charged_by(self, queryset, name, person):
        return queryset.filter(charged_by_q(person))

    def filter_county(self, queryset, name, unit):
        return queryset.filter(lead_unit__path__startswith=unit.path)

    def filter_returned(self, queryset, name, value):
        condition = Q(returned=True, status__in=OPEN_STATUSES)
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_awaiting_report(self, queryset, name, value):
        """Tasks where the caller's own unit owes a report (see selectors.awaiting_report_q)."""
        unit = getattr(getattr(self.request, "user", None), "unit_id", None)
        if unit is None:
            return queryset.none() if value else queryset
        cooperating = TaskCooperation.objects.filter(unit=unit).values("task")
        condition = (Q(lead_unit=unit) | Q(pk__in=cooperating)) & awaiting_report_q(timezone.localdate())
        queryset = with_last_report_of(queryset, unit)
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_extension_pending(self, queryset, name, value):
        condition = Exists(pending_extension_subquery())
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(code__icontains=value) | Q(title__icontains=value) | Q(description__icontains=value)
        )

    @property
    def qs(self):
        # A stable order whatever the client asks for, so pages never overlap or skip.
        queryset = super().qs
        ordering = list(queryset.query.order_by) or list(Task._meta.ordering)
        return queryset.order_by(*ordering, "id")


class UnitFilter(filters.FilterSet):
    parent = filters.ModelChoiceFilter(queryset=Unit.objects.all(), label=_("上级单位"))
    kind = filters.MultipleChoiceFilter(choices=UnitKind.choices, label=_("类型"))
    within = UnitFilterById(field_name="parent", method="filter_within", label=_("该单位及其下属"))
    search = filters.CharFilter(method="filter_search", label=_("搜索(简称、全称)"))

    class Meta:
        model = Unit
        fields = ["parent", "kind"]

    def filter_within(self, queryset, name, unit):
        return queryset.filter(path__startswith=unit.path)

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(full_name__icontains=value))


class CampaignFilter(filters.FilterSet):
    owner = filters.ModelChoiceFilter(queryset=Unit.objects.all(), label=_("组织单位"))

    class Meta:
        model = Campaign
        fields = ["owner", "status"]


class SpecialActionFilter(filters.FilterSet):
    campaign = filters.ModelChoiceFilter(queryset=Campaign.objects.all(), label=_("冬季行动"))
    lead_unit = filters.ModelChoiceFilter(queryset=Unit.objects.all(), label=_("牵头单位"))

    class Meta:
        model = SpecialAction
        fields = ["campaign", "lead_unit"]


class PersonFilter(filters.FilterSet):
    unit = filters.ModelChoiceFilter(queryset=Unit.objects.all(), label=_("所在单位"))

    class Meta:
        model = Person
        fields = ["unit", "role"]


class MilestoneFilter(filters.FilterSet):
    done = filters.BooleanFilter(field_name="done_on", lookup_expr="isnull", exclude=True, label=_("已完成"))
    due_before = filters.DateFilter(field_name="due_date", lookup_expr="lte", label=_("节点时限不晚于"))
    task = filters.ModelChoiceFilter(queryset=Task.objects.all(), label=_("任务"))

    class Meta:
        model = Milestone
        fields = ["task"]


class ProgressReportFilter(filters.FilterSet):
    submitted_since = filters.IsoDateTimeFilter(
        field_name="submitted_at", lookup_expr="gte", label=_("此时间以后填报")
    )
    task = filters.ModelChoiceFilter(queryset=Task.objects.all(), label=_("任务"))
    unit = filters.ModelChoiceFilter(queryset=Unit.objects.all(), label=_("填报单位"))

    class Meta:
        model = ProgressReport
        fields = ["task", "unit"]


class AttachmentFilter(filters.FilterSet):
    task = filters.ModelChoiceFilter(queryset=Task.objects.all(), label=_("任务"))
    progress_report = filters.ModelChoiceFilter(queryset=ProgressReport.objects.all(), label=_("进度填报"))

    class Meta:
        model = Attachment
        fields = ["task", "progress_report"]


class ExtensionRequestFilter(filters.FilterSet):
    task = filters.ModelChoiceFilter(queryset=Task.objects.all(), label=_("任务"))
    status = filters.ChoiceFilter(choices=ExtensionStatus.choices, label=_("状态"))

    class Meta:
        model = ExtensionRequest
        fields = ["task", "status"]


# ---- Indicators ----------------------------------------------------------------------------------


def _any_month(queryset, name, value):
    """`month` chooses the month shown in each indicator's figures, not which indicators are listed."""
    return queryset


class IndicatorFilter(filters.FilterSet):
    campaign = filters.ModelChoiceFilter(queryset=Campaign.objects.all(), label=_("冬季行动"))
    responsible_unit = filters.ModelChoiceFilter(queryset=Unit.objects.all(), label=_("责任单位"))
    month = filters.DateFilter(method=_any_month, label=_("月份(只显示该月数据)"))

    class Meta:
        model = Indicator
        fields = ["campaign", "responsible_unit"]


class IndicatorFigureFilter(filters.FilterSet):
    indicator = filters.ModelChoiceFilter(queryset=Indicator.objects.all(), label=_("指标"))
    month = filters.DateFilter(method="filter_month", label=_("月份"))
    kind = filters.ChoiceFilter(choices=FigureKind.choices, label=_("数据类型"))

    class Meta:
        model = IndicatorFigure
        fields = ["indicator", "kind"]

    def filter_month(self, queryset, name, value):
        return queryset.filter(month=value.replace(day=1))
