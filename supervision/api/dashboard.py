"""REST API v1: the dashboard's numbers (驾驶舱): summary, ranking and heat map, scoped to the caller.

Read-only, open to every signed-in caller (read-only tokens included): each answers with the figures
of supervision/dashboard.py over what the caller may read. The filters are ids; an id that is not a
number, does not exist or lies outside the caller's scope is a 400 in the one error shape (the same
answer for a row that exists elsewhere as for one that does not).
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from tasks.selectors import campaigns_visible_to, special_actions_visible_to, units_visible_to
from winteraction.api.schema import ErrorSerializer

from .. import dashboard
from ..models import CardKind, EmptyRate

# ---- Query parameters -----------------------------------------------------------------------------------


class DashboardFilterSerializer(serializers.Serializer):
    """The filters every dashboard endpoint takes (all optional)."""

    campaign = serializers.IntegerField(
        required=False, min_value=1, help_text=gettext_lazy("冬季行动的 id:只统计该行动的任务。")
    )
    special_action = serializers.IntegerField(
        required=False, min_value=1, help_text=gettext_lazy("专项行动的 id:只统计该专项行动的任务。")
    )
    county = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=gettext_lazy("单位的 id(通常是县):只统计该单位及其下属单位牵头的任务和承办的督办单。"),
    )
    township = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=gettext_lazy("单位的 id(通常是乡镇):只统计该单位及其下属单位牵头的任务和承办的督办单。"),
    )

    LOOKUPS = {
        "campaign": campaigns_visible_to,
        "special_action": special_actions_visible_to,
        "county": units_visible_to,
        "township": units_visible_to,
    }

    def validate(self, attrs):
        user = self.context["request"].user
        errors = {}
        found = {}
        for name, pk in attrs.items():
            row = self.LOOKUPS[name](user).filter(pk=pk).first()
            if row is None:
                errors[name] = [_("不存在,或不在你的查看范围内。")]
            found[name] = row
        if errors:
            raise serializers.ValidationError(errors)
        return found


def dashboard_filters(request) -> dict:
    """The validated filters as rows (a campaign, a special action, units), or a 400."""
    params = request.query_params
    errors = {}
    for name in params:
        if name == "format":
            continue
        if name not in DashboardFilterSerializer.LOOKUPS:
            errors[name] = [_("未知的参数。")]
        elif len(params.getlist(name)) > 1:
            errors[name] = [_("只能给一个值。")]
        elif not params[name].strip():
            errors[name] = [_("不能为空;不需要筛选时请去掉这个参数。")]
    if errors:
        raise exceptions.ValidationError(errors)
    serializer = DashboardFilterSerializer(data=params, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# ---- Responses ------------------------------------------------------------------------------------------

RATE_HELP = gettext_lazy("百分比(0–100,一位小数);分母为 0 时为 null。")


class SummarySerializer(serializers.Serializer):
    today = serializers.DateField(help_text=gettext_lazy("统计日(北京时间)。"))
    tasks = serializers.IntegerField(help_text=gettext_lazy("任务总数(含已撤销)。"))
    not_started = serializers.IntegerField(help_text=gettext_lazy("未开始。"))
    in_progress = serializers.IntegerField(help_text=gettext_lazy("推进中。"))
    awaiting_close = serializers.IntegerField(help_text=gettext_lazy("待销号。"))
    closed = serializers.IntegerField(help_text=gettext_lazy("已销号。"))
    cancelled = serializers.IntegerField(help_text=gettext_lazy("已撤销(不计入各项比率)。"))
    overdue = serializers.IntegerField(help_text=gettext_lazy("逾期:未开始或推进中,已过完成时限。"))
    overdue_days = serializers.IntegerField(help_text=gettext_lazy("逾期任务的逾期天数之和。"))
    due_soon = serializers.IntegerField(help_text=gettext_lazy("临期:完成时限在今天起 7 天内。"))
    behind = serializers.IntegerField(help_text=gettext_lazy("滞后:进度落后于时间进度。"))
    on_time = serializers.IntegerField(
        help_text=gettext_lazy("按期完成:已销号,且在完成时限当天或之前申请销号。")
    )
    completion_rate = serializers.FloatField(
        allow_null=True, help_text=gettext_lazy("完成率 = 已销号 ÷ (任务总数 − 已撤销)。") + RATE_HELP
    )
    on_time_rate = serializers.FloatField(
        allow_null=True, help_text=gettext_lazy("按期完成率 = 按期完成 ÷ (已销号 + 逾期)。") + RATE_HELP
    )
    open_orders = serializers.IntegerField(help_text=gettext_lazy("未销号的督办单。"))
    overdue_orders = serializers.IntegerField(help_text=gettext_lazy("已过整改时限、未销号的督办单。"))


class RankingRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField(
        allow_null=True,
        help_text=gettext_lazy(
            "同类单位中的名次,1 为最好;得分相同者名次相同(1、1、3)。尚无可考核指标、暂不排名的单位为 null。"
        ),
    )
    tied = serializers.BooleanField(help_text=gettext_lazy("是否与同类其他单位并列。"))
    unit = serializers.IntegerField(help_text=gettext_lazy("单位 id。"))
    name = serializers.CharField(help_text=gettext_lazy("单位简称。"))
    kind = serializers.CharField(help_text=gettext_lazy("单位类型。"))
    tasks = serializers.IntegerField(help_text=gettext_lazy("牵头任务数(含已撤销)。"))
    closed = serializers.IntegerField(help_text=gettext_lazy("已销号。"))
    cancelled = serializers.IntegerField(help_text=gettext_lazy("已撤销。"))
    in_progress = serializers.IntegerField(help_text=gettext_lazy("推进中。"))
    overdue = serializers.IntegerField(help_text=gettext_lazy("逾期任务数。"))
    overdue_days = serializers.IntegerField(help_text=gettext_lazy("逾期天数之和。"))
    on_time = serializers.IntegerField(help_text=gettext_lazy("按期完成数。"))
    on_time_rate = serializers.FloatField(allow_null=True, help_text=gettext_lazy("按期完成率。") + RATE_HELP)
    reported = serializers.IntegerField(help_text=gettext_lazy("推进中且 7 天内填报过进度的任务数。"))
    timeliness = serializers.FloatField(
        allow_null=True, help_text=gettext_lazy("填报及时率 = 7 天内填报 ÷ 推进中。") + RATE_HELP
    )
    completion_rate = serializers.FloatField(
        allow_null=True, help_text=gettext_lazy("完成率 = 已销号 ÷ (任务数 − 已撤销)。") + RATE_HELP
    )
    returned = serializers.IntegerField(help_text=gettext_lazy("销号申请被退回的次数。"))
    open_orders = serializers.IntegerField(help_text=gettext_lazy("未销号的督办单。"))
    overdue_orders = serializers.IntegerField(help_text=gettext_lazy("逾期未销号的督办单。"))
    score = serializers.FloatField(
        allow_null=True,
        help_text=gettext_lazy("得分(一位小数,满分 100),按 formula 计算;暂不排名的单位为 null。"),
    )
    previous_rank = serializers.IntegerField(
        allow_null=True,
        help_text=gettext_lazy(
            "上周名次:同一行动、同一范围(county 或 township 参数所指的县、市;未指定时为当前用户所在的地区)"
            "最近一次往周排名快照中的名次。没有可比的快照(未指定行动、指定了专项行动、范围不是整个地区)"
            "或该单位当时未参与排名时为 null。"
        ),
    )
    rank_change = serializers.IntegerField(
        allow_null=True,
        help_text=gettext_lazy("名次变化 = 上周名次 − 本周名次:正数为上升,负数为下降;无上周名次时为 null。"),
    )
    cards = serializers.ListField(
        child=serializers.ChoiceField(choices=CardKind.choices),
        help_text=gettext_lazy(
            "该单位当前已亮出(未撤销)的牌:yellow 黄牌、red 红牌,黄牌在前;系统提议的不计。"
        ),
    )


class RankingGroupSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text=gettext_lazy("单位类型,如 department、township。"))
    label = serializers.CharField(help_text=gettext_lazy("单位类型的名称。"))
    rows = RankingRowSerializer(many=True, help_text=gettext_lazy("按名次排列。"))


class RankingSerializer(serializers.Serializer):
    today = serializers.DateField(help_text=gettext_lazy("统计日(北京时间)。"))
    weights = serializers.DictField(
        child=serializers.FloatField(),
        help_text=gettext_lazy(
            "该行动排名规则的权重(on_time_rate、timeliness、completion_rate,合计 100)和扣分"
            "(overdue、returned、overdue_orders,每项每个扣几分)。"
        ),
    )
    empty_rates = serializers.ChoiceField(
        choices=EmptyRate.choices,
        help_text=gettext_lazy("无可计算的比率如何计分:rescale 不计入、其余权重按比例折算;zero 按 0 计。"),
    )
    max_score = serializers.IntegerField(help_text=gettext_lazy("满分。"))
    formula = serializers.CharField(help_text=gettext_lazy("得分公式,供页面显示。"))
    empty_rule = serializers.CharField(help_text=gettext_lazy("无可计算比率的计分说明,供页面显示。"))
    previous_week = serializers.DateField(
        allow_null=True,
        help_text=gettext_lazy("比较所用排名快照的所属周(星期一);没有可比的快照时为 null。"),
    )
    groups = RankingGroupSerializer(many=True, help_text=gettext_lazy("每类单位(县直单位、乡镇……)分别排名。"))


class HeatmapUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=gettext_lazy("单位 id。"))
    name = serializers.CharField(help_text=gettext_lazy("单位简称。"))
    kind = serializers.CharField(help_text=gettext_lazy("单位类型。"))


class HeatmapSpecialActionSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=gettext_lazy("专项行动 id。"))
    name = serializers.CharField(help_text=gettext_lazy("专项行动名称。"))
    campaign = serializers.IntegerField(help_text=gettext_lazy("所属冬季行动 id。"))


class HeatmapSerializer(serializers.Serializer):
    today = serializers.DateField(help_text=gettext_lazy("统计日(北京时间)。"))
    units = HeatmapUnitSerializer(many=True, help_text=gettext_lazy("行:牵头单位。"))
    special_actions = HeatmapSpecialActionSerializer(many=True, help_text=gettext_lazy("列:专项行动。"))
    overdue = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text=gettext_lazy("逾期任务数矩阵:overdue[行][列]。"),
    )
    unit_totals = serializers.ListField(
        child=serializers.IntegerField(), help_text=gettext_lazy("每行合计。")
    )
    special_action_totals = serializers.ListField(
        child=serializers.IntegerField(), help_text=gettext_lazy("每列合计。")
    )
    total = serializers.IntegerField(help_text=gettext_lazy("逾期任务总数。"))


# ---- Views ----------------------------------------------------------------------------------------------

BAD_FILTER = OpenApiResponse(
    ErrorSerializer,
    description="A filter is not a positive integer, names nothing, or lies outside the caller's scope.",
)


class DashboardView(APIView):
    """Validate the filters, compute the figures over the caller's scope, render them."""

    compute = None  # one of supervision.dashboard's functions, as a staticmethod
    serializer_class = None

    def get(self, request):
        figures = self.compute(request.user, **dashboard_filters(request))
        return Response(self.serializer_class(figures).data)


@extend_schema(
    summary=gettext_lazy("驾驶舱:总体情况"),
    description=gettext_lazy(
        "当前用户可见范围内任务的总数、各状态数、逾期、临期、滞后,完成率和按期完成率,以及未销号和逾期的督办单数。"
    ),
    parameters=[DashboardFilterSerializer],
    responses={200: SummarySerializer, 400: BAD_FILTER},
)
class DashboardSummaryView(DashboardView):
    compute = staticmethod(dashboard.summary)
    serializer_class = SummarySerializer


@extend_schema(
    summary=gettext_lazy("驾驶舱:单位排名"),
    description=gettext_lazy(
        "牵头任务的单位按类型(县直单位、乡镇……)分别排名:任务数、销号、逾期及逾期天数、按期完成率、"
        "填报及时率、完成率、销号退回、督办单,以及按该行动排名规则计算的得分(满分 100)。"
        "得分相同者名次并列(1、1、3),列出时逾期少者在前,再按名称。"
        "每个单位还给出上周名次及名次变化(来自每周排名快照),以及当前已亮出的红黄牌。"
    ),
    parameters=[DashboardFilterSerializer],
    responses={200: RankingSerializer, 400: BAD_FILTER},
)
class DashboardRankingView(DashboardView):
    compute = staticmethod(dashboard.ranking)
    serializer_class = RankingSerializer


@extend_schema(
    summary=gettext_lazy("驾驶舱:逾期热力图"),
    description=gettext_lazy("牵头单位 × 专项行动的逾期任务数矩阵,附行列标签和合计。"),
    parameters=[DashboardFilterSerializer],
    responses={200: HeatmapSerializer, 400: BAD_FILTER},
)
class DashboardHeatmapView(DashboardView):
    compute = staticmethod(dashboard.heatmap)
    serializer_class = HeatmapSerializer
