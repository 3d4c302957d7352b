"""What a bulletin (情况通报) says: its figures and its default text, built from the data at its cutoff.

`build_figures` reads the ONE selectors the pages read (the dashboard's summary and ranking with last
week's places, the orders in scope, the cards, and the indicators' table), so a bulletin never counts
differently from the dashboard: a draft's summary IS `dashboard.summary` for the campaign and region on
the cutoff's day. A bulletin is the region's document, not a viewer's view: the figures are read with no
viewer (`user=None`) narrowed to the region's subtree, so who drafts it changes nothing.

The figures are plain JSON (dates as ISO strings, decimals as strings): issuing stores them with the
text, and the outputs (supervision/bulletin_render.py) render only what is stored.

The day-based flags (overdue, behind, on time) are evaluated on the cutoff's day (Asia/Shanghai); the
statuses and progress are those at the moment the figures are built, which is why an issued bulletin
keeps its figures and a draft can be rebuilt (`bulletin_refresh`) up to its issue.
"""

import datetime
import json
from collections import OrderedDict

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from tasks.flags import behind_q, overdue_q
from tasks.models import Campaign, ProgressReport, Unit

from . import dashboard
from .models import Card, CardStatus
from .selectors import SHANGHAI, orders_in_scope

try:  # the indicators (tasks/indicators) may not be installed on every branch yet
    from tasks.indicators import indicator_table
except ImportError:  # pragma: no cover - depends on the merge order
    indicator_table = None

GOOD_UNITS = 3  # 进展较好: the first places of each kind of unit
PROBLEMS_PER_UNIT = 3  # a lagging unit's last 存在问题, at most this many
SECTION_KEYS = ("summary", "good", "lagging", "orders", "ranking", "indicators", "requirements")


def _jsonable(value):
    """Dates to ISO strings, decimals to strings: what a JSONField stores and reads back unchanged."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _local(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment, SHANGHAI)


def _in_period(field: str, period_start, period_end, cutoff) -> tuple[dict, Q]:
    """Rows whose `field` falls on a day of the period (Asia/Shanghai) and not after the cutoff."""
    alias = {f"{field}_day": TruncDate(field, tzinfo=SHANGHAI)}
    condition = Q(
        **{f"{field}_day__gte": period_start, f"{field}_day__lte": period_end, f"{field}__lte": cutoff}
    )
    return alias, condition


def _last_problems(task_ref: str = "pk", unit_ref: str = "lead_unit", *, cutoff) -> Subquery:
    """The lead unit's last 存在问题 reported on the task up to the cutoff (blank ones skipped)."""
    reports = (
        ProgressReport.objects.filter(
            task=OuterRef(task_ref), unit=OuterRef(unit_ref), submitted_at__lte=cutoff
        )
        .exclude(problems="")
        .order_by("-submitted_at", "-id")
        .values("problems")[:1]
    )
    return Subquery(reports)


# ---- Figures --------------------------------------------------------------------------------------


def _ranking_rows(ranking: dict) -> list[dict]:
    rows = []
    for group in ranking["groups"]:
        for row in group["rows"]:
            rows.append(
                {
                    "kind": group["kind"],
                    "kind_label": group["label"],
                    "place": row["rank"],
                    "tied": row["tied"],
                    "unit_id": row["unit"],
                    "unit": row["name"],
                    "score": row["score"],
                    "previous_place": row["previous_rank"],
                    "tasks": row["tasks"],
                    "closed": row["closed"],
                    "overdue": row["overdue"],
                    "on_time_rate": row["on_time_rate"],
                    "completion_rate": row["completion_rate"],
                }
            )
    return rows


def _lagging(tasks, *, today: datetime.date, cutoff) -> tuple[list[dict], list[dict]]:
    """Tasks overdue or behind on the cutoff's day, and their lead units (by the dashboard's flags)."""
    rows = (
        tasks.filter(overdue_q(today) | behind_q(today))
        .annotate(last_problems=_last_problems(cutoff=cutoff))
        .values(
            "pk", "code", "title", "deadline", "progress", "lead_unit", "lead_unit__name", "last_problems"
        )
        .order_by("deadline", "code", "pk")
    )
    overdue_ids = set(tasks.filter(overdue_q(today)).values_list("pk", flat=True))
    task_rows, units = [], OrderedDict()
    for row in rows:
        overdue = row["pk"] in overdue_ids
        days = (today - row["deadline"]).days if overdue else 0
        problems = (row["last_problems"] or "").strip()
        task_rows.append(
            {
                "id": row["pk"],
                "code": row["code"],
                "title": row["title"],
                "unit_id": row["lead_unit"],
                "unit": row["lead_unit__name"],
                "deadline": row["deadline"],
                "progress": row["progress"],
                "overdue": overdue,
                "days_overdue": days,
                "last_problems": problems,
            }
        )
        unit = units.setdefault(
            row["lead_unit"],
            {
                "unit_id": row["lead_unit"],
                "unit": row["lead_unit__name"],
                "overdue": 0,
                "behind": 0,
                "last_problems": [],
            },
        )
        unit["overdue" if overdue else "behind"] += 1
        if problems and len(unit["last_problems"]) < PROBLEMS_PER_UNIT:
            unit["last_problems"].append(problems)
    ordered = sorted(units.values(), key=lambda u: (-u["overdue"], -u["behind"], u["unit"], u["unit_id"]))
    return ordered, task_rows


def _indicators(campaign: Campaign, month: datetime.date, viewer) -> list[dict]:
    if indicator_table is None:
        return []
    return list(indicator_table(viewer, campaign=campaign, months=[month]))


def build_figures(
    *,
    campaign: Campaign,
    region: Unit,
    cutoff: datetime.datetime,
    period_start: datetime.date | None = None,
    period_end: datetime.date | None = None,
    viewer=None,
) -> dict:
    """The bulletin's data at `cutoff` for `campaign` under `region` (see the module's docstring).

    The period (default: the cutoff's day alone) chooses the orders, cards and tasks closed "in the
    period"; the indicators are the period's last month's. `viewer` reads the indicators (they are
    public within the county: the drafting office sees them all)."""
    today = _local(cutoff).date()
    period_end = period_end or today
    period_start = period_start or period_end
    filters = {"campaign": campaign, "county": region}

    summary = dashboard.summary(None, **filters, today=today)
    ranking = dashboard.ranking(None, **filters, today=today)
    ranking_rows = _ranking_rows(ranking)
    tasks = dashboard.scoped_tasks(None, **filters)

    closed_alias, closed_in_period = _in_period("closed_at", period_start, period_end, cutoff)
    good_tasks = [
        {"id": row["pk"], "code": row["code"], "title": row["title"], "unit": row["lead_unit__name"]}
        for row in tasks.filter(dashboard.on_time_q())
        .alias(**closed_alias)
        .filter(closed_in_period)
        .values("pk", "code", "title", "lead_unit__name")
        .order_by("closed_at", "code", "pk")
    ]
    good_units = [
        {
            "unit_id": row["unit_id"],
            "unit": row["unit"],
            "kind_label": row["kind_label"],
            "score": row["score"],
            "place": row["place"],
        }
        for row in ranking_rows
        if row["place"] is not None and row["place"] <= GOOD_UNITS
    ]
    lagging_units, lagging_tasks = _lagging(tasks, today=today, cutoff=cutoff)

    issued_alias, issued_in_period = _in_period("issued_at", period_start, period_end, cutoff)
    orders = [
        {
            "id": row["pk"],
            "number": row["number"],
            "unit_id": row["unit"],
            "unit": row["unit__name"],
            "urgency": row["urgency"],
            "status": row["status"],
            "deadline": row["deadline"],
            "issued_at": row["issued_at"],
            "problem": row["problem"],
        }
        for row in orders_in_scope(None, **filters)
        .alias(**issued_alias)
        .filter(issued_in_period)
        .values("pk", "number", "unit", "unit__name", "urgency", "status", "deadline", "issued_at", "problem")
        .order_by("issued_at", "pk")
    ]
    decided_alias, decided_in_period = _in_period("decided_at", period_start, period_end, cutoff)
    cards = [
        {
            "id": row["pk"],
            "unit_id": row["unit"],
            "unit": row["unit__name"],
            "kind": row["kind"],
            "status": row["status"],
            "decided_at": row["decided_at"],
            "overdue_tasks": row["overdue_tasks"],
            "overdue_orders": row["overdue_orders"],
        }
        for row in Card.objects.filter(
            unit__path__startswith=region.path, status__in=(CardStatus.ISSUED, CardStatus.LIFTED)
        )
        .alias(**decided_alias)
        .filter(decided_in_period)
        .values("pk", "unit", "unit__name", "kind", "status", "decided_at", "overdue_tasks", "overdue_orders")
        .order_by("decided_at", "pk")
    ]
    month = period_end.replace(day=1)
    figures = {
        "cutoff": cutoff,
        "today": today,
        "period": {"start": period_start, "end": period_end},
        "campaign": {"id": campaign.pk, "name": campaign.name},
        "region": {"id": region.pk, "name": region.name, "kind": region.kind},
        "summary": {key: value for key, value in summary.items() if key != "today"},
        "good": {"units": good_units, "tasks": good_tasks},
        "lagging": {"units": lagging_units, "tasks": lagging_tasks},
        "orders": orders,
        "cards": cards,
        "ranking": ranking_rows,
        "previous_week": ranking["previous_week"],
        "indicators_month": month,
        "indicators": _indicators(campaign, month, viewer),
    }
    return _jsonable(figures)


def lagging_unit_ids(figures: dict) -> list[int]:
    """The units named in 三、滞后单位和事项: those a bulletin's issue notifies."""
    return [unit["unit_id"] for unit in figures.get("lagging", {}).get("units", [])]


# ---- Default text ---------------------------------------------------------------------------------
# The office edits it; these sentences are the starting point, written from the figures alone.


def _moment(value: str) -> str:
    """ "12月5日17时" (with minutes when not on the hour) from an ISO datetime."""
    moment = _local(datetime.datetime.fromisoformat(value))
    if moment.minute:
        return _("%(month)s月%(day)s日%(hour)s时%(minute)s分") % {
            "month": moment.month,
            "day": moment.day,
            "hour": moment.hour,
            "minute": moment.minute,
        }
    return _("%(month)s月%(day)s日%(hour)s时") % {
        "month": moment.month,
        "day": moment.day,
        "hour": moment.hour,
    }


def _day(value: str) -> str:
    day = datetime.date.fromisoformat(value)
    return _("%(month)s月%(day)s日") % {"month": day.month, "day": day.day}


def _rate_text(rate) -> str:
    return _("暂无") if rate is None else f"{rate}%"


def _summary_text(figures: dict) -> str:
    s = figures["summary"]
    text = _(
        "截至%(cutoff)s,%(region)s%(campaign)s共有任务%(tasks)s项,已销号%(closed)s项,待销号%(awaiting)s项,"
        "推进中%(in_progress)s项,未开始%(not_started)s项;逾期%(overdue)s项,进度滞后%(behind)s项,"
        "临期%(due_soon)s项。完成率%(completion)s,按期完成率%(on_time)s。"
    ) % {
        "cutoff": _moment(figures["cutoff"]),
        "region": _region_prefix(figures["region"]["name"], figures["campaign"]["name"]),
        "campaign": figures["campaign"]["name"],
        "tasks": s["tasks"],
        "closed": s["closed"],
        "awaiting": s["awaiting_close"],
        "in_progress": s["in_progress"],
        "not_started": s["not_started"],
        "overdue": s["overdue"],
        "behind": s["behind"],
        "due_soon": s["due_soon"],
        "completion": _rate_text(s["completion_rate"]),
        "on_time": _rate_text(s["on_time_rate"]),
    }
    text += _("在办督办单%(open)s件,其中逾期%(overdue)s件。") % {
        "open": s["open_orders"],
        "overdue": s["overdue_orders"],
    }
    return text


def _good_text(figures: dict) -> str:
    good = figures["good"]
    parts = []
    if good["units"]:
        names = "、".join(f"{u['unit']}({u['score']}分)" for u in good["units"])
        parts.append(_("综合排名靠前的单位:%(units)s。") % {"units": names})
    if good["tasks"]:
        items = "、".join(f"{t['code']} {t['title']}({t['unit']})" for t in good["tasks"][:10])
        parts.append(
            _("本期按期完成并销号任务%(count)s项:%(items)s。") % {"count": len(good["tasks"]), "items": items}
        )
    return "".join(parts) or _("本期暂无按期销号的任务。")


def _lagging_text(figures: dict) -> str:
    lagging = figures["lagging"]
    if not lagging["units"]:
        return _("截至统计时间,无逾期或进度滞后的任务。")
    lines = []
    for unit in lagging["units"]:
        line = _("%(unit)s:逾期%(overdue)s项,进度滞后%(behind)s项") % unit
        if unit["last_problems"]:
            line += _(";存在问题:%(problems)s") % {"problems": ";".join(unit["last_problems"])}
        lines.append(line + "。")
    for task in lagging["tasks"]:
        if task["overdue"]:
            line = _("%(code)s %(title)s(%(unit)s),完成时限%(deadline)s,已逾期%(days)s天") % {
                **task,
                "deadline": _day(task["deadline"]),
                "days": task["days_overdue"],
            }
        else:
            line = _("%(code)s %(title)s(%(unit)s),完成时限%(deadline)s,当前进度%(progress)s%%,进度滞后") % {
                **task,
                "deadline": _day(task["deadline"]),
            }
        lines.append(line + "。")
    return "\n".join(lines)


def _orders_text(figures: dict) -> str:
    orders, cards = figures["orders"], figures["cards"]
    parts = []
    if orders:
        numbers = "、".join(f"{o['number']}({o['unit']})" for o in orders)
        parts.append(
            _("本期下发督办单%(count)s件:%(numbers)s。") % {"count": len(orders), "numbers": numbers}
        )
    else:
        parts.append(_("本期未下发督办单。"))
    if cards:
        labels = {"yellow": _("黄牌"), "red": _("红牌")}
        items = "、".join(f"{c['unit']}({labels.get(c['kind'], c['kind'])})" for c in cards)
        parts.append(_("本期亮牌%(count)s次:%(items)s。") % {"count": len(cards), "items": items})
    else:
        parts.append(_("本期未亮牌。"))
    return "".join(parts)


def _ranking_text(figures: dict) -> str:
    rows = figures["ranking"]
    if not rows:
        return _("本期暂无排名。")
    lines = []
    for row in rows:
        if row["place"] is None:
            continue
        line = _("%(kind)s第%(place)s名:%(unit)s,%(score)s分") % {
            "kind": row["kind_label"],
            "place": row["place"],
            "unit": row["unit"],
            "score": row["score"],
        }
        if row["previous_place"] is not None:
            line += _("(上期第%(previous)s名)") % {"previous": row["previous_place"]}
        lines.append(line + "。")
    return "\n".join(lines) or _("本期暂无排名。")


def _indicator_text(figures: dict) -> str:
    rows = figures["indicators"]
    if not rows:
        return _("本期暂无指标数据。")
    month = datetime.date.fromisoformat(figures["indicators_month"])
    lines = []
    for row in rows:
        cell = _month_cell(row, figures["indicators_month"])
        name = row.get("name", "")
        if cell is None or cell.get("completion") is None:
            lines.append(_("%(name)s:%(month)s月暂无数据。") % {"name": name, "month": month.month})
            continue
        line = _("%(name)s:%(month)s月完成目标的%(completion)s%%") % {
            "name": name,
            "month": month.month,
            "completion": cell["completion"],
        }
        if cell.get("behind"):
            line += _(",未达目标")
        lines.append(line + "。")
    return "\n".join(lines)


def _month_cell(row: dict, month: str) -> dict | None:
    """An indicator row's figures for `month`, whether the table keys its months by date or lists them."""
    months = row.get("months")
    if isinstance(months, dict):
        return months.get(month)
    if isinstance(months, list):
        return next((cell for cell in months if str(cell.get("month")) == month), None)
    return None


def _region_prefix(region: str, campaign: str) -> str:
    """The region's name before the campaign's, unless the campaign's name already starts with it
    (洪洞县"冬季行动", not 洪洞县洪洞县"冬季行动")."""
    return "" if campaign.startswith(region) else region


def default_title(*, region: Unit, campaign: Campaign, kind_label: str) -> str:
    return _("%(region)s%(campaign)s督查通报(%(kind)s)") % {
        "region": _region_prefix(region.name, campaign.name),
        "campaign": campaign.name,
        "kind": kind_label,
    }


def default_sections(figures: dict) -> list[dict]:
    """The seven parts of a bulletin, written from its figures."""
    return [
        {"key": "summary", "heading": _("一、总体情况"), "text": _summary_text(figures)},
        {"key": "good", "heading": _("二、进展较好"), "text": _good_text(figures)},
        {"key": "lagging", "heading": _("三、滞后单位和事项"), "text": _lagging_text(figures)},
        {"key": "orders", "heading": _("四、督办和亮牌"), "text": _orders_text(figures)},
        {"key": "ranking", "heading": _("五、争先进位排名"), "text": _ranking_text(figures)},
        {"key": "indicators", "heading": _("六、主要指标"), "text": _indicator_text(figures)},
        {
            "key": "requirements",
            "heading": _("七、下步要求"),
            "text": _(
                "各责任单位要对照通报的问题逐项整改,逾期和进度滞后的事项要明确整改时限和责任人,"
                "按时填报进度;督查室将持续跟踪督办,整改情况纳入争先进位考评。"
            ),
        },
    ]
