"""The ranking's formula (争先进位): a campaign's RankingPolicy turned into scores, places and the text the
ranking page publishes. Pure functions over the rows of `dashboard.ranked_groups`, except `policy_for`.

score = (w₁ × 按期完成率 + w₂ × 填报及时率 + w₃ × 完成率)          the rates as shares (0–1), w₁+w₂+w₃ = 100
        − p₁ × 逾期任务数 − p₂ × 销号退回次数 − p₃ × 逾期督办单数

A rate whose denominator is 0 (no task come due, none in progress) has nothing to measure. It never counts
as full marks. By default (EmptyRate.RESCALE) it is left out and the weights of the rates that can be
measured are scaled up to 100; a unit with no rate to measure is not ranked (暂不排名) until it has one.
With EmptyRate.ZERO it counts as 0. Either way the best possible score is 100, and penalties are
subtracted after, without a floor, so they always separate units.

Equal scores share a place: 1, 1, 3 (competition ranking). Within a shared place the rows are listed by
fewer overdue tasks, then by name, which changes nothing in the place.
"""

from collections import Counter
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import EmptyRate, RankingPolicy

MAX_SCORE = 100

# (the row's figure, the policy's field, its name on the page)
RATES = (
    ("on_time_rate", "on_time_weight", gettext_lazy("按期完成率")),
    ("timeliness", "timeliness_weight", gettext_lazy("填报及时率")),
    ("completion_rate", "completion_weight", gettext_lazy("完成率")),
)
PENALTIES = (
    ("overdue", "overdue_penalty", gettext_lazy("逾期任务数")),
    ("returned", "returned_penalty", gettext_lazy("销号退回次数")),
    ("overdue_orders", "overdue_order_penalty", gettext_lazy("逾期督办单数")),
)


def policy_for(campaign=None, special_action=None) -> RankingPolicy:
    """The policy of the campaign ranked (a row or an id; or the special action's campaign), else the
    defaults (an unsaved RankingPolicy): one query when a campaign or special action is named, none
    otherwise."""
    if campaign is not None:
        found = RankingPolicy.objects.filter(campaign=campaign).first()
    elif special_action is not None:
        found = RankingPolicy.objects.filter(campaign__special_actions=special_action).first()
    else:
        found = None
    return found or RankingPolicy()


def weights(policy: RankingPolicy) -> dict[str, float]:
    """The weights and penalties by the row figure they apply to, as numbers (the API's `weights`)."""
    return {figure: float(getattr(policy, field)) for figure, field, _label in (*RATES, *PENALTIES)}


def _number(value) -> str:
    return f"{Decimal(value).normalize():f}"


def formula(policy: RankingPolicy) -> str:
    """The formula as the page prints it, with this policy's numbers."""
    rates = " + ".join(f"{_number(getattr(policy, field))} × {label}" for _f, field, label in RATES)
    penalties = "".join(f" − {_number(getattr(policy, field))} × {label}" for _f, field, label in PENALTIES)
    return _("得分 = %(rates)s%(penalties)s") % {"rates": rates, "penalties": penalties}


def empty_rule(policy: RankingPolicy) -> str:
    """How a rate with nothing to measure counts, in the page's words."""
    if policy.empty_rates == EmptyRate.ZERO:
        return _("比率按 0–1 计,满分 100;无可计算的比率(分母为 0)按 0 计。")
    return _(
        "比率按 0–1 计,满分 100;无可计算的比率(分母为 0)不计入,其余比率的权重按比例折算为 100;"
        "三项都无可计算的单位暂不排名。"
    )


def score(row: dict, policy: RankingPolicy) -> float | None:
    """The row's score (one decimal), or None when it has nothing to measure (not ranked)."""
    measured = [
        (row[figure] / 100, getattr(policy, field))
        for figure, field, _label in RATES
        if row[figure] is not None
    ]
    if policy.empty_rates == EmptyRate.ZERO:
        base = sum(float(weight) * share for share, weight in measured)
    else:
        total = sum(weight for _share, weight in measured)
        if not total:
            return None
        base = MAX_SCORE * sum(float(weight) * share for share, weight in measured) / total
    deducted = sum(float(getattr(policy, field)) * row[figure] for figure, field, _label in PENALTIES)
    return round(base - deducted, 1)


def place(rows: list[dict]) -> list[dict]:
    """Sort one kind's rows and set `rank` (equal scores share it: 1, 1, 3) and `tied`; rows without a
    score come last, with no rank."""
    ranked = sorted(
        (row for row in rows if row["score"] is not None),
        key=lambda r: (-r["score"], r["overdue"], r["name"], r["unit"]),
    )
    unranked = sorted((row for row in rows if row["score"] is None), key=lambda r: (r["name"], r["unit"]))
    sharing = Counter(row["score"] for row in ranked)
    rank, previous = 0, None
    for position, row in enumerate(ranked, start=1):
        if row["score"] != previous:
            rank, previous = position, row["score"]
        row["rank"] = rank
        row["tied"] = sharing[row["score"]] > 1
    for row in unranked:
        row["rank"] = None
        row["tied"] = False
    return ranked + unranked
