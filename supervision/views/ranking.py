"""争先进位: the ranking page with its published formula, its Excel download, and the office's page
where a campaign's formula is set (排名规则).

The page and the download take the dashboard's filters (campaign, special action, county: the same GET
form and defaults) and read `dashboard.ranking`, the one selector the API's /dashboard/ranking/ reads
too, so the three show the same figures.
"""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tasks.permissions import is_office_for
from tasks.services import require_office_for
from tasks.views.common import current_campaign
from tasks.views.office import office_required
from winteraction.xlsx import XLSX_TYPE, attachment

from .. import dashboard, services
from ..exports import ranking_ascii_filename, ranking_filename, ranking_workbook
from ..forms import RankingPolicyForm
from ..models import RankingPolicy
from .dashboard import _filters


def _chosen(filters: dict) -> dict:
    return {name: filters[name] for name in ("campaign", "special_action", "county")}


def _query(chosen: dict) -> str:
    params = {name: row.pk for name, row in chosen.items() if row is not None}
    return "?" + urlencode(params if params else {"campaign": ""})


def _title(chosen: dict) -> str:
    names = [chosen["campaign"].name if chosen["campaign"] else _("全部行动")]
    names += [row.name for row in (chosen["special_action"], chosen["county"]) if row is not None]
    return " · ".join(names)


@require_GET
@login_required
def ranking_page(request):
    filters = _filters(request)
    chosen = _chosen(filters)
    campaign = chosen["campaign"] or (chosen["special_action"] and chosen["special_action"].campaign)
    return render(
        request,
        "supervision/ranking.html",
        {
            **filters,
            "ranking": dashboard.ranking(request.user, **chosen),
            "title": _title(chosen),
            "xlsx_url": reverse("ranking-xlsx") + _query(chosen),
            "policy_url": (
                reverse("office-ranking") + f"?campaign={campaign.pk}"
                if campaign is not None and is_office_for(request.user, campaign.owner)
                else None
            ),
            "nav_section": "supervision",
        },
    )


@require_GET
@login_required
def ranking_xlsx(request):
    filters = _filters(request)
    chosen = _chosen(filters)
    ranks = dashboard.ranking(request.user, **chosen)
    response = HttpResponse(ranking_workbook(ranks, **chosen), content_type=XLSX_TYPE)
    response["Content-Disposition"] = attachment(
        ranking_filename(**chosen, today=ranks["today"]), fallback=ranking_ascii_filename(ranks["today"])
    )
    return response


# ---- 排名规则 (the office) ---------------------------------------------------------------------------------


def _office_campaign(request):
    """The campaign in ?campaign= (one the office may see), else the current one; the office must run it
    (403 otherwise). None when there is none."""
    filters = _filters(request)
    campaign = filters["campaign"] if "campaign" in request.GET else current_campaign(request)
    if campaign is not None:
        require_office_for(request.user, campaign.owner, _("修改排名规则"))
    return campaign


@require_http_methods(["GET", "POST"])
@office_required
def office_ranking(request):
    campaign = _office_campaign(request)
    policy = None
    if campaign is not None:
        policy = RankingPolicy.objects.filter(campaign=campaign).first() or RankingPolicy(campaign=campaign)
    form = RankingPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST":
        if campaign is None:
            raise PermissionDenied(_("没有可用的冬季行动。"))
        if form.is_valid():
            try:
                services.ranking_policy_update(campaign=campaign, by=request.user, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as error:
                form.add_service_error(error)
            else:
                flash.success(request, _("排名规则已保存,排名页按新规则计分。"))
                return redirect(reverse("office-ranking") + f"?campaign={campaign.pk}")
    return render(
        request,
        "supervision/office_ranking.html",
        {
            "campaign": campaign,
            "policy": policy,
            "form": form,
            "ranking_url": reverse("ranking") + (f"?campaign={campaign.pk}" if campaign else ""),
            "nav_section": "office",
        },
        status=400 if form.errors else 200,
    )


urlpatterns = [
    path("supervision/ranking/", ranking_page, name="ranking"),
    path("supervision/ranking/xlsx/", ranking_xlsx, name="ranking-xlsx"),
    path("office/ranking/", office_ranking, name="office-ranking"),
]
