"""驾驶舱: the dashboard page (supervision/dashboard.py's figures with ECharts), and its big-screen mode.

Open to every signed-in user, over what they may see. The filters (campaign, special action, county) come
from a GET form; an id that is not a number or lies outside the viewer's scope is ignored (the choices
offered are the scoped ones). A fixed number of queries: the choices (three), the figures (five),
the trends and lists of supervision/trends.py (six: by special action, three for the weeks, two lists).
The weeks are those of the chosen campaign, else of the current one (with "all campaigns" chosen, one
query more to find it).

`?screen=1` is the big-screen mode (大屏) for a wall display at 1920×1080: dark, no filter controls, the
headline cards always on screen and the panels in groups (pages) that take turns, so that nothing
scrolls. The data refreshes without reloading the page: htmx polls this same URL and swaps in the
data partial (an htmx request gets only the partial; dashboard.js redraws the charts). `refresh=<seconds>`
and `rotate=<seconds>` tune it within SCREEN_REFRESH and SCREEN_ROTATE's bounds.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from tasks.models import TaskStatus, UnitKind
from tasks.selectors import campaigns_visible_to, special_actions_visible_to, units_visible_to
from tasks.views.common import current_campaign
from winteraction.parsing import whole_number

from .. import dashboard, trends

# (default, lowest, highest) seconds: how often the big screen fetches its data, and how long each
# group of panels stays up.
SCREEN_REFRESH = (60, 5, 3600)
SCREEN_ROTATE = (20, 5, 600)
# The big screen's lists: rows of each "most overdue" list, and lines (rows and group headings) in one
# column of the ranking, two columns a page. Both fit a 1080-pixel-high screen at its font size.
SCREEN_LIST_ROWS = 8
SCREEN_RANKING_LINES = 18


def _seconds(value, bounds: tuple[int, int, int]) -> int:
    """A GET parameter in seconds, held within its bounds; the default when absent or not a number."""
    default, lowest, highest = bounds
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return default
    return min(max(seconds, lowest), highest)


def _ranking_pages(ranking: dict, lines: int = SCREEN_RANKING_LINES) -> list[list[list[dict]]]:
    """The ranking cut for the big screen: pages of two columns, each column at most `lines` lines.

    A line is a group's heading ({"heading": label}) or a unit's row ({"row": row}); a heading is
    repeated with "(续)" when its group goes on in the next column, and never ends a column alone.
    """
    columns: list[list[dict]] = []
    column: list[dict] = []
    for group in ranking["groups"]:
        rows = list(group["rows"])
        first = True
        while rows:
            if len(column) + 2 > lines:  # room for the heading and at least one row
                columns.append(column)
                column = []
            label = group["label"] if first else _("%(group)s(续)") % {"group": group["label"]}
            column.append({"heading": label})
            take = lines - len(column)
            column.extend({"row": row} for row in rows[:take])
            rows = rows[take:]
            first = False
    if column:
        columns.append(column)
    return [columns[i : i + 2] for i in range(0, len(columns), 2)]


def _chosen(rows, value):
    """The row among `rows` whose id is `value` (a GET parameter), else None."""
    pk = whole_number(value)
    if pk is None:
        return None
    return next((row for row in rows if row.pk == pk), None)


def _filters(request) -> dict:
    """The choices the form offers and the rows chosen; the campaign defaults to the current one."""
    user = request.user
    campaigns = list(campaigns_visible_to(user).order_by("-start_date", "-id"))
    if "campaign" in request.GET:
        campaign = _chosen(campaigns, request.GET["campaign"])
    else:
        campaign = current_campaign(request)
    special_actions = []
    if campaign is not None:
        special_actions = list(
            special_actions_visible_to(user).filter(campaign=campaign).order_by("sort_order", "id")
        )
    counties = list(units_visible_to(user).filter(kind=UnitKind.COUNTY).order_by("sort_order", "name", "id"))
    return {
        "campaigns": campaigns,
        "special_actions": special_actions,
        "counties": counties,
        "campaign": campaign,
        "special_action": _chosen(special_actions, request.GET.get("special_action")),
        "county": _chosen(counties, request.GET.get("county")),
    }


def _query(chosen: dict) -> str:
    params = {name: row.pk for name, row in chosen.items() if row is not None}
    return "?" + urlencode(params) if params else ""


def _task_list_url(chosen: dict, **flags) -> str:
    params = {name: row.pk for name, row in chosen.items() if row is not None}
    params.update(flags)
    return reverse("task-list") + ("?" + urlencode(params) if params else "")


def _cards(figures: dict, chosen: dict) -> list[dict]:
    """The headline numbers, each with the task list (or order list) behind it."""

    def rate(value):
        return "—" if value is None else f"{value:g}%"

    return [
        {"key": "tasks", "label": _("任务总数"), "value": figures["tasks"], "url": _task_list_url(chosen)},
        {
            "key": "in_progress",
            "label": _("推进中"),
            "value": figures["in_progress"],
            "url": _task_list_url(chosen, status=TaskStatus.IN_PROGRESS),
            "tone": "primary",
        },
        {
            "key": "closed",
            "label": _("已销号"),
            "value": figures["closed"],
            "url": _task_list_url(chosen, status=TaskStatus.CLOSED),
            "tone": "success",
        },
        {
            "key": "overdue",
            "label": _("逾期"),
            "value": figures["overdue"],
            "url": _task_list_url(chosen, overdue="true"),
            "tone": "danger",
        },
        {
            "key": "due_soon",
            "label": _("临期"),
            "value": figures["due_soon"],
            "url": _task_list_url(chosen, due_soon="true"),
            "tone": "warning",
        },
        {
            "key": "behind",
            "label": _("滞后"),
            "value": figures["behind"],
            "url": _task_list_url(chosen, behind="true"),
            "tone": "warning",
        },
        {
            "key": "completion_rate",
            "label": _("完成率"),
            "value": rate(figures["completion_rate"]),
            "url": _task_list_url(chosen, status=TaskStatus.CLOSED),
            "tone": "success",
        },
        {
            "key": "on_time_rate",
            "label": _("按期完成率"),
            "value": rate(figures["on_time_rate"]),
            "url": _task_list_url(chosen, status=TaskStatus.CLOSED),
            "tone": "success",
        },
        {
            "key": "open_orders",
            "label": _("未销号督办单"),
            "value": figures["open_orders"],
            # The 督查 page with the same filters lists (and counts) the same orders.
            "url": reverse("supervision") + _query(chosen),
            "tone": "info",
            "note": _("其中逾期 %(count)s") % {"count": figures["overdue_orders"]},
        },
    ]


def _stack_flags(status, overdue) -> dict:
    flags = {}
    if status is not None:
        flags["status"] = status.value
    if overdue is not None:
        flags["overdue"] = "true" if overdue else "false"
    return flags


def _action_list_url(action: dict, chosen: dict, flags: dict) -> str:
    params = {"campaign": action["campaign"], "special_action": action["id"]}
    if chosen["county"] is not None:
        params["county"] = chosen["county"].pk
    return reverse("task-list") + "?" + urlencode({**params, **flags})


def _by_action_chart(bars: dict, chosen: dict) -> dict:
    """The stacked bars: one per special action, each stack a link to the task list of exactly its tasks
    (the special action's campaign named, so the list does not fall back to the current campaign)."""
    actions = bars["special_actions"]
    several = len({a["campaign"] for a in actions}) > 1
    labels = [f"{a['name']}({a['campaign_name']})" if several else a["name"] for a in actions]
    series = []
    for (key, status, overdue), stack in zip(trends.STACKS, bars["stacks"], strict=True):
        flags = _stack_flags(status, overdue)
        series.append(
            {
                "key": key,
                "name": stack["label"],
                "values": [a[key] for a in actions],
                "urls": [_action_list_url(a, chosen, flags) for a in actions],
            }
        )
    return {
        "labels": labels,
        "totals": [a["tasks"] for a in actions],
        "series": series,
        "empty": _("暂无任务。"),
    }


def _weeks_chart(weeks: dict) -> dict:
    rows = weeks["weeks"]
    return {
        "labels": [row["start"].strftime("%m-%d") for row in rows],
        "titles": [
            _("第 %(n)s 周(%(start)s – %(end)s)")
            % {"n": row["week"], "start": row["start"].strftime("%m-%d"), "end": row["end"].strftime("%m-%d")}
            for row in rows
        ],
        "closed": [row["closed"] for row in rows],
        "closed_cumulative": [row["closed_cumulative"] for row in rows],
        "planned_cumulative": [row["planned_cumulative"] for row in rows],
        "reports": [row["reports"] for row in rows],
        "total": weeks["total"],
        "names": {
            "closed": _("本周销号"),
            "closed_cumulative": _("累计销号"),
            "planned_cumulative": _("计划累计(按完成时限)"),
            "total": _("任务总数(不含已撤销)"),
            "reports": _("进度填报数"),
        },
        "empty": _("行动尚未开始。") if weeks["campaign"] else _("暂无冬季行动。"),
    }


def _chart_data(figures: dict, heat: dict, chosen: dict, screen: bool, bars: dict, weeks: dict) -> dict:
    """What static/js/dashboard.js draws, rendered with json_script (labels already translated)."""
    statuses = [s for s in TaskStatus]
    return {
        "screen": screen,
        "status": {
            "labels": [str(s.label) for s in statuses],
            "values": [figures[s.value] for s in statuses],
            "urls": [_task_list_url(chosen, status=s.value) for s in statuses],
            "name": _("任务数"),
        },
        "heatmap": {**heat, "name": _("逾期任务数"), "empty": _("暂无逾期任务。")},
        "by_action": _by_action_chart(bars, chosen),
        "weeks": _weeks_chart(weeks),
    }


@login_required
def dashboard_page(request):
    filters = _filters(request)
    chosen = {name: filters[name] for name in ("campaign", "special_action", "county")}
    figures = dashboard.summary(request.user, **chosen)
    ranks = dashboard.ranking(request.user, **chosen)
    heat = dashboard.heatmap(request.user, **chosen)
    bars = trends.by_special_action(request.user, **chosen)
    weeks = trends.weekly(
        request.user, **{**chosen, "campaign": filters["campaign"] or current_campaign(request)}
    )
    overdue = trends.overdue_lists(request.user, **chosen)
    screen = request.GET.get("screen") == "1"
    query = {name: row.pk for name, row in chosen.items() if row is not None}
    refresh = _seconds(request.GET.get("refresh"), SCREEN_REFRESH)
    rotate = _seconds(request.GET.get("rotate"), SCREEN_ROTATE)
    context = {
        **filters,
        "summary": figures,
        "cards": _cards(figures, chosen),
        "ranking": ranks,
        "heatmap": heat,
        "weeks": weeks,
        "overdue": overdue,
        "overdue_tasks_url": _task_list_url(chosen, overdue="true"),
        "chart_data": _chart_data(figures, heat, chosen, screen, bars, weeks),
        "screen": screen,
        "screen_url": reverse("dashboard") + "?" + urlencode({**query, "screen": 1}),
        "page_url": reverse("dashboard") + ("?" + urlencode(query) if query else ""),
        "nav_section": "supervision",
    }
    if not screen:
        return render(request, "supervision/dashboard.html", context)
    context |= {
        "refresh_seconds": refresh,
        "rotate_seconds": rotate,
        "data_url": reverse("dashboard")
        + "?"
        + urlencode({**query, "screen": 1, "refresh": refresh, "rotate": rotate}),
        "screen_overdue_tasks": overdue["tasks"][:SCREEN_LIST_ROWS],
        "screen_overdue_orders": overdue["orders"][:SCREEN_LIST_ROWS],
        "screen_list_rows": SCREEN_LIST_ROWS,
        "ranking_pages": _ranking_pages(ranks),
    }
    if request.htmx:
        return render(request, "supervision/partials/dashboard_screen_data.html", context)
    return render(request, "supervision/partials/dashboard_screen.html", context)


urlpatterns = [path("supervision/dashboard/", dashboard_page, name="dashboard")]
