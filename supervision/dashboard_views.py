"""驾驶舱: the dashboard page (supervision/dashboard.py's figures with ECharts), and its big-screen mode.

Open to every signed-in user, over what they may see. The filters (campaign, special action, county) come
from a GET form; an id that is not a number or lies outside the viewer's scope is ignored (the choices
offered are the scoped ones). A fixed number of queries: the choices (three), the figures (five).
`?screen=1` is the big-screen mode (大屏) for a wall display: dark, full width, reloading every minute.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from tasks.models import TaskStatus, UnitKind
from tasks.selectors import campaigns_visible_to, special_actions_visible_to, units_visible_to
from tasks.views.common import current_campaign

from . import dashboard

SCREEN_REFRESH_SECONDS = 60


def _chosen(rows, value):
    """The row among `rows` whose id is `value` (a GET parameter), else None."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
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
            "url": reverse("supervision"),
            "tone": "info",
            "note": _("其中逾期 %(count)s") % {"count": figures["overdue_orders"]},
        },
    ]


def _chart_data(figures: dict, heat: dict, chosen: dict, screen: bool) -> dict:
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
    }


@login_required
def dashboard_page(request):
    filters = _filters(request)
    chosen = {name: filters[name] for name in ("campaign", "special_action", "county")}
    figures = dashboard.summary(request.user, **chosen)
    ranks = dashboard.ranking(request.user, **chosen)
    heat = dashboard.heatmap(request.user, **chosen)
    screen = request.GET.get("screen") == "1"
    query = {name: row.pk for name, row in chosen.items() if row is not None}
    context = {
        **filters,
        "summary": figures,
        "cards": _cards(figures, chosen),
        "ranking": ranks,
        "heatmap": heat,
        "chart_data": _chart_data(figures, heat, chosen, screen),
        "screen": screen,
        "refresh_seconds": SCREEN_REFRESH_SECONDS,
        "screen_url": reverse("dashboard") + "?" + urlencode({**query, "screen": 1}),
        "page_url": reverse("dashboard") + ("?" + urlencode(query) if query else ""),
        "nav_section": "supervision",
    }
    template = "supervision/partials/dashboard_screen.html" if screen else "supervision/dashboard.html"
    return render(request, template, context)


urlpatterns = [path("supervision/dashboard/", dashboard_page, name="dashboard")]
