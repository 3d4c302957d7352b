"""The indicators' API: /api/v1/indicators/ (with each month's target, figures and completion from
`tasks.indicators.indicator_table`) and /api/v1/indicator-figures/ (report, confirm, correct).

Everyone who reads a campaign reads its indicators (the scope is in the queryset: another county's
indicator is a 404); who may write is the services' decision (a 403 with their message)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .. import filters, indicators
from ..models import Campaign, Indicator, IndicatorFigure, IndicatorFigureRevision, Task, Unit
from ..selectors import access_for
from .serializers import (
    InputSerializer,
    PersonRefSerializer,
    StrictInputMixin,
    UnitRefSerializer,
    VisibleRelatedField,
    _campaigns,
    _units,
)


def _tasks(user):
    return Task.objects.filter(access_for(user).task_q())


def _indicators(user):
    return indicators.indicators_visible_to(user)


class PlainDecimalField(serializers.DecimalField):
    """A decimal as a string without trailing zeros ("96.5", not "96.5000"), any number of digits in."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=None, decimal_places=None, **kwargs)

    def to_representation(self, value):
        return None if value is None else str(indicators.plain(value))


def _number(**kwargs):
    return PlainDecimalField(**kwargs)


# ---- Serializers ----------------------------------------------------------------------------------------


class MonthCellSerializer(serializers.Serializer):
    month = serializers.DateField(label=_("月份"))
    target = _number(allow_null=True, label=_("目标值"))
    expected = _number(allow_null=True, label=_("预计"))
    actual = _number(allow_null=True, label=_("实际"))
    value = _number(
        allow_null=True, label=_("比较所用数值"), help_text=_("有实际数时为实际数,否则为预计数。")
    )
    basis = serializers.ChoiceField(
        choices=[("actual", _("实际")), ("expected", _("预计"))], allow_null=True, label=_("数值来源")
    )
    completion = serializers.DecimalField(
        max_digits=None,
        decimal_places=1,
        allow_null=True,
        label=_("完成率(%)"),
        help_text=_("无目标或目标为 0 时为空。"),
    )
    gap = _number(allow_null=True, label=_("差距"), help_text=_("数值 − 目标;增速指标为百分点。"))
    behind = serializers.BooleanField(label=_("低于目标"))
    expected_figure_id = serializers.IntegerField(allow_null=True, label=_("预计数 id"))
    actual_figure_id = serializers.IntegerField(allow_null=True, label=_("实际数 id"))
    actual_confirmed = serializers.BooleanField(label=_("实际数已确认"))


class IndicatorSerializer(StrictInputMixin, serializers.ModelSerializer):
    campaign = VisibleRelatedField(Campaign, _campaigns, label=_("冬季行动"))
    responsible_unit = UnitRefSerializer(read_only=True)
    source_unit = UnitRefSerializer(read_only=True)
    responsible_unit_id = VisibleRelatedField(Unit, _units, source="responsible_unit", write_only=True)
    source_unit_id = VisibleRelatedField(Unit, _units, source="source_unit", write_only=True)
    tasks = VisibleRelatedField(Task, _tasks, many=True, required=False, label=_("相关任务"))
    annual_target = _number(allow_null=True, required=False, label=_("年度目标"))
    months = serializers.SerializerMethodField(label=_("各月数据"))

    class Meta:
        model = Indicator
        fields = [
            "id",
            "campaign",
            "name",
            "measure",
            "kind",
            "responsible_unit",
            "responsible_unit_id",
            "source_unit",
            "source_unit_id",
            "annual_target",
            "tasks",
            "sort_order",
            "months",
        ]
        validators = []  # uniqueness is the service's (and the database's) to decide

    @extend_schema_field(MonthCellSerializer(many=True))
    def get_months(self, indicator) -> list[dict]:
        cells = self.context.get("months", {}).get(indicator.pk, [])
        return MonthCellSerializer(cells, many=True).data


class IndicatorUpdateSerializer(IndicatorSerializer):
    campaign = serializers.PrimaryKeyRelatedField(read_only=True)


class TargetSerializer(InputSerializer):
    month = serializers.DateField(label=_("月份"), help_text=_("该月任一天,按该月计。"))
    target = _number(allow_null=True, label=_("目标值"), help_text=_("为空时删除该月目标。"))


class RevisionSerializer(serializers.ModelSerializer):
    by = PersonRefSerializer(read_only=True)
    value_before = _number(read_only=True, label=_("原数值"))
    value_after = _number(read_only=True, label=_("新数值"))

    class Meta:
        model = IndicatorFigureRevision
        fields = [
            "id",
            "value_before",
            "value_after",
            "gap_reason_before",
            "gap_reason_after",
            "measures_before",
            "measures_after",
            "correction",
            "reason",
            "by",
            "at",
        ]


class FigureSerializer(serializers.ModelSerializer):
    reported_by = PersonRefSerializer(read_only=True)
    confirmed_by = PersonRefSerializer(read_only=True, allow_null=True)
    value = _number(read_only=True, label=_("数值"))
    confirmed = serializers.BooleanField(source="is_confirmed", read_only=True, label=_("已确认"))

    class Meta:
        model = IndicatorFigure
        fields = [
            "id",
            "indicator",
            "month",
            "kind",
            "value",
            "gap_reason",
            "measures",
            "reported_by",
            "reported_at",
            "confirmed",
            "confirmed_by",
            "confirmed_at",
        ]


class FigureDetailSerializer(FigureSerializer):
    revisions = RevisionSerializer(many=True, read_only=True, label=_("修改记录"))

    class Meta(FigureSerializer.Meta):
        fields = [*FigureSerializer.Meta.fields, "revisions"]


class FigureReportSerializer(InputSerializer):
    indicator = VisibleRelatedField(Indicator, _indicators, label=_("指标"))
    month = serializers.DateField(label=_("月份"), help_text=_("该月任一天,按该月计。"))
    kind = serializers.ChoiceField(
        choices=IndicatorFigure._meta.get_field("kind").choices, label=_("数据类型")
    )
    value = _number(label=_("数值"))
    gap_reason = serializers.CharField(required=False, allow_blank=True, label=_("差距原因"))
    measures = serializers.CharField(required=False, allow_blank=True, label=_("措施"))


class FigureCorrectSerializer(InputSerializer):
    value = _number(label=_("更正后的数值"))
    reason = serializers.CharField(label=_("更正理由"))
    gap_reason = serializers.CharField(required=False, allow_blank=True, label=_("差距原因"))
    measures = serializers.CharField(required=False, allow_blank=True, label=_("措施"))


def _valid(serializer_class, request):
    serializer = serializer_class(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# ---- Views --------------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary=_("指标清单"), description=_("每个指标附各月目标、预计、实际、完成率、差距。")
    ),
    retrieve=extend_schema(summary=_("指标详情")),
    create=extend_schema(summary=_("设置指标")),
    update=extend_schema(summary=_("修改指标"), request=IndicatorUpdateSerializer),
    partial_update=extend_schema(summary=_("修改指标"), request=IndicatorUpdateSerializer),
)
class IndicatorViewSet(
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = IndicatorSerializer
    filterset_class = filters.IndicatorFilter

    def get_queryset(self):
        return (
            indicators.indicators_visible_to(self.request.user)
            .prefetch_related("tasks")
            .order_by("campaign", "sort_order", "id")
        )

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return IndicatorUpdateSerializer
        return IndicatorSerializer

    def _month(self):
        filterset = getattr(self, "filterset", None)
        if filterset is not None and filterset.is_valid():
            return filterset.form.cleaned_data.get("month")
        return None

    def _months_context(self, items) -> dict:
        """Each indicator's month cells, from `indicator_table`, one call per campaign on the page."""
        month = self._month()
        by_campaign: dict = {}
        for indicator in items:
            by_campaign.setdefault(indicator.campaign_id, (indicator.campaign, []))[1].append(indicator.pk)
        cells = {}
        for campaign, ids in by_campaign.values():
            rows = indicators.indicator_table(
                self.request.user,
                campaign=campaign,
                months=None if month is None else [month],
                indicators=indicators.indicators_visible_to(self.request.user).filter(pk__in=ids),
            )
            for row in rows:
                cells[row["id"]] = [
                    {
                        **cell,
                        "expected_figure_id": (cell["expected_figure"] or {}).get("id"),
                        "actual_figure_id": (cell["actual_figure"] or {}).get("id"),
                        "actual_confirmed": bool((cell["actual_figure"] or {}).get("confirmed")),
                    }
                    for cell in row["months"]
                ]
        return cells

    def _respond(self, items, *, many, status_code=status.HTTP_200_OK):
        context = {**self.get_serializer_context(), "months": self._months_context(items)}
        data = IndicatorSerializer(items if many else items[0], many=many, context=context).data
        return data if many else Response(data, status=status_code)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        items = list(page if page is not None else queryset)
        data = self._respond(items, many=True)
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request, *args, **kwargs):
        self.filter_queryset(self.get_queryset())  # reads ?month=
        return self._respond([self.get_object()], many=False)

    def create(self, request, *args, **kwargs):
        data = dict(_valid(IndicatorSerializer, request))
        indicator = indicators.indicator_create(by=request.user, **data)
        return self._respond([self.get_queryset().get(pk=indicator.pk)], many=False, status_code=201)

    def update(self, request, *args, **kwargs):
        indicator = self.get_object()
        serializer = IndicatorUpdateSerializer(
            indicator, data=request.data, partial=kwargs.get("partial", False), context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        indicators.indicator_update(indicator=indicator, by=request.user, **serializer.validated_data)
        return self._respond([self.get_queryset().get(pk=indicator.pk)], many=False)

    @extend_schema(
        summary=_("设置月度目标"),
        description=_("督查室设置或删除(目标为空)某月的目标值。"),
        request=TargetSerializer,
        responses=IndicatorSerializer,
    )
    @action(detail=True, methods=["post"])
    def targets(self, request, pk=None):
        indicator = self.get_object()
        data = _valid(TargetSerializer, request)
        indicators.indicator_target_set(indicator=indicator, by=request.user, **data)
        return self._respond([self.get_queryset().get(pk=indicator.pk)], many=False)


@extend_schema_view(
    list=extend_schema(summary=_("指标数据清单")),
    retrieve=extend_schema(summary=_("指标数据详情(含修改记录)")),
)
class IndicatorFigureViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    filterset_class = filters.IndicatorFigureFilter

    def get_queryset(self):
        figures = indicators.figures_visible_to(self.request.user).order_by("indicator", "month", "kind")
        if self.action == "retrieve":
            return figures.prefetch_related("revisions__by__unit")
        return figures

    def get_serializer_class(self):
        return FigureSerializer if self.action == "list" else FigureDetailSerializer

    def _detail(self, figure, status_code=status.HTTP_200_OK):
        fresh = self.get_queryset().prefetch_related("revisions__by__unit").get(pk=figure.pk)
        return Response(
            FigureDetailSerializer(fresh, context=self.get_serializer_context()).data, status=status_code
        )

    @extend_schema(
        summary=_("填报指标数据"),
        description=_(
            "预计数由责任单位填报,实际数由数据来源单位填报,督查室均可填报。确认前再次填报即更新并留痕;"
            "已确认的数据只能更正(409)。"
        ),
        request=FigureReportSerializer,
        responses={201: FigureDetailSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = _valid(FigureReportSerializer, request)
        figure = indicators.indicator_figure_report(by=request.user, **data)
        return self._detail(figure, status.HTTP_201_CREATED)

    @extend_schema(summary=_("确认指标数据"), request=None, responses=FigureDetailSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        figure = indicators.indicator_figure_confirm(figure=self.get_object(), by=request.user)
        return self._detail(figure)

    @extend_schema(
        summary=_("更正已确认的指标数据"),
        description=_("只有数据来源单位或督查室可以更正,必须说明理由,更正记入修改记录。"),
        request=FigureCorrectSerializer,
        responses=FigureDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        figure = self.get_object()
        data = _valid(FigureCorrectSerializer, request)
        figure = indicators.indicator_figure_correct(figure=figure, by=request.user, **data)
        return self._detail(figure)
