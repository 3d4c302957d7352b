"""The task list: the shared TaskFilter as a filter bar, sorting, pages of 50, an Excel export.

The URL carries the filters (a bookmark or a link from the workspace reopens the same list);
the campaign is the current one unless the URL names another. With htmx a change in the
filter bar swaps only the results; without JavaScript the form submits as a normal GET.
The choices offered are scoped to what the user can see. A page is a fixed number of queries.
"""

from functools import reduce
from operator import or_

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import QueryDict
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.vary import vary_on_headers

from winteraction.parsing import whole_number

from ..filters import TaskFilter
from ..models import Person, Role, SpecialAction, TaskStatus, Unit
from ..selectors import access_for, campaigns_visible_to, tasks_visible_to
from .common import current_campaign, render_page

PAGE_SIZE = 50

# Sort orders offered in the bar ("" is the default: deadline, then code).
ORDERINGS = [
    ("", _("完成时限(早→晚)")),
    ("-deadline", _("完成时限(晚→早)")),
    ("progress", _("进度(低→高)")),
    ("-progress", _("进度(高→低)")),
    ("-updated_at", _("最近更新在前")),
    ("updated_at", _("最早更新在前")),
    ("code", _("编号(升序)")),
    ("-code", _("编号(降序)")),
]

# Shown in the bar; any other filter in the URL is kept as a hidden field and shown as a removable chip.
BAR_FIELDS = (
    "special_action",
    "unit",
    "status",
    "overdue",
    "due_soon",
    "behind",
    "leader",
    "search",
    "ordering",
)


class TaskListFilter(TaskFilter):
    """The shared TaskFilter, with its choices scoped to the user, plus three filters the workspace
    links to. These three are HTML-only for now: the API's export does not know them (see
    `export_query`), so they belong in TaskFilter once the API should offer them too."""

    def __init__(self, data=None, queryset=None, *, request, campaign, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        user = request.user
        access = access_for(user)
        if access.everything:
            in_my_roots = Q()
        else:
            roots = access.roots()
            in_my_roots = reduce(or_, (Q(path__startswith=root) for root in roots)) if roots else Q(pk__in=[])
        units = Unit.objects.filter(in_my_roots).order_by("path")
        self.filters["campaign"].queryset = campaigns_visible_to(user)
        self.filters["special_action"].queryset = SpecialAction.objects.filter(campaign=campaign).order_by(
            "sort_order", "id"
        )
        for name in ("unit", "lead_unit", "county"):
            self.filters[name].queryset = units
        self.filters["leader"].queryset = (
            Person.objects.filter(role=Role.LEADER, is_active=True, unit__in=units)
            .select_related("unit")
            .order_by("unit__path", "id")
        )
        self.filters["charged_by"].queryset = self.filters["leader"].queryset
        self.filters["parent"].queryset = tasks_visible_to(user)


def filled(query: QueryDict) -> QueryDict:
    """The query without empty values: a GET form submits every field, an empty one means "any"."""
    result = QueryDict(mutable=True)
    for key in query:
        values = [value for value in query.getlist(key) if value.strip()]
        if values:
            result.setlist(key, values)
    return result


def export_query(data: QueryDict, campaign) -> str:
    """The API export's query for the same list (the API shares the FilterSet)."""
    query = QueryDict(mutable=True)
    for key in data:
        if key in TaskFilter.base_filters:
            query.setlist(key, data.getlist(key))
    if campaign is not None:
        query["campaign"] = str(campaign.pk)
    query["format"] = "xlsx"
    return query.urlencode()


def _chosen_campaign(request, data: QueryDict):
    """The campaign named in the URL if I may see it, else the current one."""
    pk = whole_number(data.pop("campaign", [None])[-1])
    if pk is not None:
        named = campaigns_visible_to(request.user).filter(pk=pk).first()
        if named is not None:
            return named, True
    return current_campaign(request), False


def _chips(filterset, data: QueryDict) -> list[dict]:
    """Filters in the URL that the bar does not show: kept as hidden fields, removable one by one."""
    chips = []
    cleaned = filterset.form.cleaned_data if filterset.is_bound else {}
    for name in data:
        if name in BAR_FIELDS or name == "page" or name not in filterset.filters:
            continue
        value = cleaned.get(name)
        if isinstance(value, bool):
            shown = _("是") if value else _("否")
        elif value is None or value == "":
            continue  # an invalid value: reported with the form's errors, not applied
        else:
            shown = value
        rest = data.copy()
        rest.pop(name)
        chips.append(
            {
                "name": name,
                "label": filterset.filters[name].label,
                "value": shown,
                "raw": data.getlist(name),
                "remove": rest.urlencode(),
            }
        )
    return chips


@login_required
@vary_on_headers("HX-Request")
def task_list(request):
    data = filled(request.GET)
    campaign, campaign_in_url = _chosen_campaign(request, data)
    base = tasks_visible_to(request.user)
    base = base.filter(campaign=campaign) if campaign is not None else base.none()
    filterset = TaskListFilter(data, base, request=request, campaign=campaign)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))

    query = data.copy()
    query.pop("page", None)
    if campaign_in_url:
        query["campaign"] = str(campaign.pk)
    excel_query = export_query(query, campaign)
    chips = _chips(filterset, query)
    units = filterset.filters["unit"].queryset
    context = {
        "nav_section": "tasks",
        "today": timezone.localdate(),
        "campaign": campaign,
        "campaign_in_url": campaign_in_url,
        "filter": filterset,
        "errors": filterset.form.errors,
        "page_obj": page,
        "tasks": page.object_list,
        "query": query.urlencode(),
        "excel_url": reverse("api:task-list") + "?" + excel_query,
        "chips": chips,
        "chosen": {name: data.get(name, "") for name in BAR_FIELDS},
        "chosen_status": data.getlist("status"),
        "special_actions": list(filterset.filters["special_action"].queryset) if campaign else [],
        "units": list(units),
        "leaders": list(filterset.filters["leader"].queryset),
        "statuses": TaskStatus.choices,
        "orderings": ORDERINGS,
        "filtered": any(name in BAR_FIELDS and name != "ordering" for name in data) or bool(chips),
    }
    return render_page(request, "tasks/task_list.html", "tasks/partials/task_list_results.html", context)


urlpatterns = [path("tasks/", task_list, name="task-list")]
