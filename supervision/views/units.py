"""A unit's page (/supervision/units/<id>/) and the red and yellow cards page (/supervision/cards/), with
the supervision office's card decisions (亮牌, 不予亮牌, 撤牌).

Who sees what: a unit's page is open to everyone whose scope covers the unit (`units_visible_to`: their
home region and group scopes, and the units above them); any other unit is a 404, like one that does
not exist. Its figures are the viewer's own (dashboard.summary with the unit as the subtree filter), so
a page of the city seen from a county shows the county's part. Cards are visible with their unit. Only
the supervision office of the unit's region (or a superuser) is offered the decisions, and the card
services decide again when a decision is posted: anyone else gets 403, a card out of scope 404.

Fixed query counts: the unit page runs the same queries whatever the size of the unit (figures 2,
ranking 4, cards 1, orders 1, overdue tasks 1, the units above 1, the campaign), the cards page the
status counts, the page count and the page.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tasks.flags import overdue_q
from tasks.models import Unit
from tasks.selectors import campaigns_visible_to, units_visible_to
from tasks.views.common import current_campaign
from winteraction.parsing import whole_number

from .. import dashboard, services
from ..models import CardStatus
from ..permissions import may_decide_cards
from ..selectors import cards_proposed_first, cards_visible_to, open_orders, orders_by_urgency
from ..services import card_dismiss, card_issue, card_lift

MOST_OVERDUE = 10
CARDS_PER_PAGE = 50


def _campaign(request):
    """The campaign in ?campaign= (one the viewer may see: the ranking links here with it), else the one
    chosen in the switcher."""
    chosen = whole_number(request.GET.get("campaign"))
    if chosen is not None:
        campaign = campaigns_visible_to(request.user).filter(pk=chosen).first()
        if campaign is not None:
            return campaign
    return current_campaign(request)


def _task_list_url(campaign, unit, **flags) -> str:
    params = {"campaign": campaign.pk} if campaign is not None else {}
    params.update(county=unit.pk, **flags)
    return reverse("task-list") + "?" + urlencode(params)


def _figures(figures: dict, campaign, unit) -> list[dict]:
    """The headline numbers, each opening the task list behind it."""

    def rate(value):
        return "—" if value is None else f"{value:g}%"

    def tile(key, label, value, tone="secondary", **flags):
        return {
            "key": key,
            "label": label,
            "value": value,
            "tone": tone,
            "url": _task_list_url(campaign, unit, **flags),
        }

    return [
        tile("tasks", _("任务总数"), figures["tasks"]),
        tile("in_progress", _("推进中"), figures["in_progress"], "primary", status="in_progress"),
        tile("closed", _("已销号"), figures["closed"], "success", status="closed"),
        tile("overdue", _("逾期"), figures["overdue"], "danger", overdue="true"),
        tile("due_soon", _("临期"), figures["due_soon"], "warning", due_soon="true"),
        tile("completion_rate", _("完成率"), rate(figures["completion_rate"]), "success", status="closed"),
        tile("on_time_rate", _("按期完成率"), rate(figures["on_time_rate"]), "success", status="closed"),
    ]


def _place(user, unit: Unit, region: Unit | None, campaign, today) -> dict | None:
    """The unit's row in the ranking of its region (the nearest county, city or province above it) for
    the campaign, with the size of its group; None without a region or a campaign."""
    if region is None or campaign is None:
        return None
    ranks = dashboard.ranking(user, campaign=campaign, county=region, today=today)
    for group in ranks["groups"]:
        for row in group["rows"]:
            if row["unit"] == unit.pk:
                return {"region": region, "row": row, "of": len(group["rows"]), "label": group["label"]}
    return {"region": region, "row": None}


@login_required
def unit_detail(request, pk):
    user = request.user
    unit = get_object_or_404(units_visible_to(user), pk=pk)
    campaign = _campaign(request)
    today = timezone.localdate()
    above = list(Unit.objects.filter(pk__in=unit.ancestor_ids[:-1]).order_by("depth"))
    region = next((u for u in reversed(above) if u.is_region), None)
    figures = dashboard.summary(user, campaign=campaign, county=unit, today=today)
    overdue = list(
        dashboard.scoped_tasks(user, campaign=campaign, county=unit)
        .filter(overdue_q(today))
        .select_related("lead_unit")
        .order_by("deadline", "id")[:MOST_OVERDUE]
    )
    for task in overdue:
        task.days_overdue = (today - task.deadline).days
    # The same rows as the figure above (summary's open_orders): the campaign's, in the unit's subtree.
    orders = list(orders_by_urgency(open_orders(user, campaign=campaign, county=unit)))
    unit_cards = list(cards_proposed_first(cards_visible_to(user).filter(unit=unit)))
    may_decide = may_decide_cards(user, unit)
    return render(
        request,
        "supervision/unit_detail.html",
        {
            "unit": unit,
            "above": above,
            "campaign": campaign,
            "summary": figures,
            "figures": _figures(figures, campaign, unit),
            "place": _place(user, unit, region, campaign, today),
            "overdue_tasks": overdue,
            "orders": orders,
            "cards": [(card, may_decide) for card in unit_cards],
            "cards_in_force": [card for card in unit_cards if card.status == CardStatus.ISSUED],
            "today": today,
            "next": request.get_full_path(),
            "nav_section": "supervision",
        },
    )


@login_required
def card_list(request):
    user = request.user
    visible = cards_visible_to(user)
    counts = visible.aggregate(
        all=Count("pk"), **{status: Count("pk", filter=Q(status=status)) for status in CardStatus.values}
    )
    status = request.GET.get("status")
    if status not in CardStatus.values:
        status = None
    listed = cards_proposed_first(visible.filter(status=status) if status else visible)
    page = Paginator(listed, CARDS_PER_PAGE).get_page(request.GET.get("page"))
    tabs = [{"status": None, "label": _("全部"), "count": counts["all"]}] + [
        {"status": value, "label": label, "count": counts[value]} for value, label in CardStatus.choices
    ]
    return render(
        request,
        "supervision/cards.html",
        {
            "page": page,
            "cards": [(card, may_decide_cards(user, card.unit)) for card in page],
            "tabs": tabs,
            "rules": {
                "overdue_days": services.overdue_days(),
                "yellow_items": services.yellow_items(),
                "red_after_days": services.red_after_days(),
            },
            "status": status,
            "next": request.get_full_path(),
            "nav_section": "supervision",
        },
    )


CARD_STEPS = {
    "issue": (card_issue, gettext_lazy("已亮牌。")),
    "dismiss": (card_dismiss, gettext_lazy("已不予亮牌。")),
    "lift": (card_lift, gettext_lazy("已撤牌。")),
}


@require_POST
@login_required
def card_step(request, pk, step):
    """亮牌 / 不予亮牌 / 撤牌 with a reason. A card out of scope is a 404, a decision the user may not
    take a 403 (the service's PermissionDenied); a missing reason or a step the card's status does
    not allow is shown as an error and changes nothing."""
    if step not in CARD_STEPS:
        raise Http404
    service, done = CARD_STEPS[step]
    card = get_object_or_404(cards_visible_to(request.user), pk=pk)
    try:
        service(card=card, by=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:  # InvalidTransition is one too
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, str(done))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("unit-detail", args=[card.unit_id])
    return redirect(back)


urlpatterns = [
    path("supervision/units/<int:pk>/", unit_detail, name="unit-detail"),
    path("supervision/cards/", card_list, name="cards"),
    path("supervision/cards/<int:pk>/<slug:step>/", card_step, name="card-step"),
]
