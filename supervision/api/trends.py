"""REST API v1: the dashboard's trends and lists (驾驶舱), scoped to the caller.

`GET /api/v1/dashboard/trends/` (tasks by special action, the campaign week by week) and
`GET /api/v1/dashboard/overdue/` (the most overdue tasks and supervision orders): the figures of
supervision/trends.py, with the filters and conventions of the other dashboard endpoints
(supervision/api/dashboard.py): read-only, open to every signed-in caller (read-only tokens included),
a filter that is not a number, names nothing or lies outside the caller's scope is a 400.
"""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from .. import trends
from .dashboard import BAD_FILTER, DashboardFilterSerializer, DashboardView

# ---- Trends ---------------------------------------------------------------------------------------------


class StackSerializer(serializers.Serializer):
    key = serializers.CharField(help_text=gettext_lazy("分段的字段名,如 overdue、closed。"))
    label = serializers.CharField(help_text=gettext_lazy("分段的名称。"))


class SpecialActionBarSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=gettext_lazy("专项行动 id。"))
    name = serializers.CharField(help_text=gettext_lazy("专项行动名称。"))
    campaign = serializers.IntegerField(help_text=gettext_lazy("所属冬季行动 id。"))
    campaign_name = serializers.CharField(help_text=gettext_lazy("所属冬季行动名称。"))
    tasks = serializers.IntegerField(help_text=gettext_lazy("任务总数(含已撤销),等于六个分段之和。"))
    closed = serializers.IntegerField(help_text=gettext_lazy("已销号。"))
    awaiting_close = serializers.IntegerField(help_text=gettext_lazy("待销号。"))
    in_progress = serializers.IntegerField(help_text=gettext_lazy("推进中且未逾期。"))
    not_started = serializers.IntegerField(help_text=gettext_lazy("未开始且未逾期。"))
    overdue = serializers.IntegerField(help_text=gettext_lazy("逾期:未开始或推进中,已过完成时限。"))
    cancelled = serializers.IntegerField(help_text=gettext_lazy("已撤销。"))


class BySpecialActionSerializer(serializers.Serializer):
    today = serializers.DateField(help_text=gettext_lazy("统计日(北京时间)。"))
    stacks = StackSerializer(many=True, help_text=gettext_lazy("堆叠柱的分段,自下而上。"))
    special_actions = SpecialActionBarSerializer(
        many=True, help_text=gettext_lazy("每个有任务的专项行动一根柱,按所属行动和排序号排列。")
    )


class CampaignBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=gettext_lazy("冬季行动 id。"))
    name = serializers.CharField(help_text=gettext_lazy("冬季行动名称。"))
    start_date = serializers.DateField(help_text=gettext_lazy("开始日期。"))
    end_date = serializers.DateField(help_text=gettext_lazy("结束日期。"))


class WeekSerializer(serializers.Serializer):
    week = serializers.IntegerField(help_text=gettext_lazy("第几周,从 1 起。"))
    start = serializers.DateField(help_text=gettext_lazy("周一(北京时间)。"))
    end = serializers.DateField(help_text=gettext_lazy("周日(北京时间)。"))
    closed = serializers.IntegerField(help_text=gettext_lazy("本周销号的任务数。"))
    closed_cumulative = serializers.IntegerField(help_text=gettext_lazy("截至本周日累计销号的任务数。"))
    planned = serializers.IntegerField(help_text=gettext_lazy("完成时限在本周的任务数(不含已撤销)。"))
    planned_cumulative = serializers.IntegerField(
        help_text=gettext_lazy("完成时限在本周日或之前的任务数(不含已撤销):计划线。")
    )
    reports = serializers.IntegerField(help_text=gettext_lazy("本周提交的进度填报数。"))


class WeeklySerializer(serializers.Serializer):
    today = serializers.DateField(help_text=gettext_lazy("统计日(北京时间)。"))
    campaign = CampaignBriefSerializer(
        allow_null=True,
        help_text=gettext_lazy("按周统计的冬季行动:所选行动,否则所选专项行动所属行动,否则最新的行动。"),
    )
    total = serializers.IntegerField(help_text=gettext_lazy("该行动范围内未撤销的任务总数。"))
    weeks = WeekSerializer(
        many=True, help_text=gettext_lazy("从行动开始所在周到今天(或行动结束)所在周,每周一项。")
    )


class TrendsSerializer(serializers.Serializer):
    today = serializers.DateField(help_text=gettext_lazy("统计日(北京时间)。"))
    by_special_action = BySpecialActionSerializer(help_text=gettext_lazy("按专项行动的任务状态堆叠柱。"))
    weekly = WeeklySerializer(help_text=gettext_lazy("按周的销号、计划和进度填报。"))


# ---- The most overdue -----------------------------------------------------------------------------------


class OverdueTaskSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=gettext_lazy("任务 id。"))
    code = serializers.CharField(help_text=gettext_lazy("任务编号。"))
    title = serializers.CharField(help_text=gettext_lazy("任务名称。"))
    status = serializers.CharField(help_text=gettext_lazy("任务状态。"))
    lead_unit = serializers.IntegerField(help_text=gettext_lazy("牵头单位 id。"))
    lead_unit_name = serializers.CharField(help_text=gettext_lazy("牵头单位简称。"))
    special_action = serializers.IntegerField(help_text=gettext_lazy("专项行动 id。"))
    deadline = serializers.DateField(help_text=gettext_lazy("完成时限。"))
    days_overdue = serializers.IntegerField(help_text=gettext_lazy("逾期天数:统计日 − 完成时限。"))


class OverdueOrderSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=gettext_lazy("督办单 id。"))
    number = serializers.CharField(help_text=gettext_lazy("文号。"))
    unit = serializers.IntegerField(help_text=gettext_lazy("承办单位 id。"))
    unit_name = serializers.CharField(help_text=gettext_lazy("承办单位简称。"))
    deadline = serializers.DateField(help_text=gettext_lazy("整改时限。"))
    days_overdue = serializers.IntegerField(help_text=gettext_lazy("逾期天数:统计日 − 整改时限。"))
    status = serializers.CharField(help_text=gettext_lazy("督办单状态。"))
    status_label = serializers.CharField(help_text=gettext_lazy("督办单状态的名称。"))
    urgency = serializers.CharField(help_text=gettext_lazy("督办等级:blue、yellow、red。"))


class OverdueListsSerializer(serializers.Serializer):
    today = serializers.DateField(help_text=gettext_lazy("统计日(北京时间)。"))
    limit = serializers.IntegerField(help_text=gettext_lazy("每个列表最多的条数。"))
    tasks = OverdueTaskSerializer(
        many=True, help_text=gettext_lazy("逾期最久的任务:逾期天数多者在前,再按 id。")
    )
    orders = OverdueOrderSerializer(
        many=True, help_text=gettext_lazy("逾期最久的督办单:逾期天数多者在前,再按 id。")
    )


# ---- Views ----------------------------------------------------------------------------------------------


@extend_schema(
    summary=gettext_lazy("驾驶舱:专项行动与按周趋势"),
    description=gettext_lazy(
        "按专项行动的任务状态堆叠柱(逾期单列,六段之和为任务总数),以及一次冬季行动按周(周一至周日,北京时间)"
        "的销号数与累计销号、按完成时限的计划累计、进度填报数。没有 campaign 时,按周统计所选专项行动所属的"
        "行动,否则最新的行动。"
    ),
    parameters=[DashboardFilterSerializer],
    responses={200: TrendsSerializer, 400: BAD_FILTER},
)
class DashboardTrendsView(DashboardView):
    compute = staticmethod(trends.trends)
    serializer_class = TrendsSerializer


@extend_schema(
    summary=gettext_lazy("驾驶舱:逾期最久的任务和督办单"),
    description=gettext_lazy("当前用户可见范围内逾期最久的任务和督办单,各最多 20 条,逾期天数多者在前。"),
    parameters=[DashboardFilterSerializer],
    responses={200: OverdueListsSerializer, 400: BAD_FILTER},
)
class DashboardOverdueView(DashboardView):
    compute = staticmethod(trends.overdue_lists)
    serializer_class = OverdueListsSerializer
