import django_filters as filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tasks.models import Campaign, SpecialAction, Unit

from .models import Inspection, InspectionKind, OrderStatus, SupervisionGroup, SupervisionOrder, Urgency
from .selectors import order_overdue_q, orders_filtered


class SupervisionGroupFilter(filters.FilterSet):
    issuing_unit = filters.ModelChoiceFilter(queryset=Unit.objects.all(), label=_("派出单位"))
    is_active = filters.BooleanFilter(label=_("在岗"))

    class Meta:
        model = SupervisionGroup
        fields = ["issuing_unit", "is_active"]


class InspectionFilter(filters.FilterSet):
    group = filters.ModelChoiceFilter(queryset=SupervisionGroup.objects.all(), label=_("督导检查组"))
    kind = filters.MultipleChoiceFilter(choices=InspectionKind.choices, label=_("方式"))
    date_after = filters.DateFilter(field_name="date", lookup_expr="gte", label=_("日期不早于"))
    date_before = filters.DateFilter(field_name="date", lookup_expr="lte", label=_("日期不晚于"))

    class Meta:
        model = Inspection
        fields = ["group", "kind", "date_after", "date_before"]


def _as_is(queryset, name, value):
    return queryset  # applied together in SupervisionOrderFilter.filter_queryset


class SupervisionOrderFilter(filters.FilterSet):
    group = filters.ModelChoiceFilter(queryset=SupervisionGroup.objects.all(), label=_("督导检查组"))
    unit = filters.ModelChoiceFilter(queryset=Unit.objects.all(), label=_("承办单位"))
    status = filters.MultipleChoiceFilter(choices=OrderStatus.choices, label=_("状态"))
    urgency = filters.MultipleChoiceFilter(choices=Urgency.choices, label=_("督办等级"))
    overdue = filters.BooleanFilter(method="filter_overdue", label=_("逾期(已过整改时限且未销号)"))
    # The dashboard's filters, with the dashboard's meaning (selectors.orders_filtered), so that its
    # figures link here and the list counts what they count.
    # field_name serves only the schema (the parameter's type); orders_filtered applies them.
    campaign = filters.ModelChoiceFilter(
        field_name="tasks__campaign", queryset=Campaign.objects.all(), method=_as_is, label=_("冬季行动")
    )
    special_action = filters.ModelChoiceFilter(
        field_name="tasks__special_action",
        queryset=SpecialAction.objects.all(),
        method=_as_is,
        label=_("专项行动"),
    )
    county = filters.ModelChoiceFilter(
        field_name="unit", queryset=Unit.objects.all(), method=_as_is, label=_("区域(含下级单位)")
    )

    SCOPE = ("campaign", "special_action", "county")

    class Meta:
        model = SupervisionOrder
        fields = ["group", "unit", "status", "urgency", "overdue", "campaign", "special_action", "county"]

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        scope = {name: self.form.cleaned_data.get(name) for name in self.SCOPE}
        return orders_filtered(queryset, **scope)

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        condition = order_overdue_q(timezone.localdate())
        return queryset.filter(condition) if value else queryset.exclude(condition)
