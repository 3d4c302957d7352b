"""What every page shares: the campaign being looked at, and the htmx-or-full-page answer."""

from django.shortcuts import render

from ..models import Campaign
from ..selectors import campaigns_visible_to

SESSION_CAMPAIGN = "campaign_id"


def current_campaign(request) -> Campaign | None:
    """The campaign chosen in the switcher (kept in the session), else the newest active one I can see."""
    if not request.user.is_authenticated:
        return None
    if hasattr(request, "_current_campaign"):
        return request._current_campaign
    campaigns = campaigns_visible_to(request.user)
    chosen = request.session.get(SESSION_CAMPAIGN)
    campaign = (campaigns.filter(pk=chosen).first() if chosen else None) or campaigns.order_by(
        "-start_date", "-id"
    ).first()
    request._current_campaign = campaign
    return campaign


def render_page(request, template: str, partial: str, context: dict, **kwargs):
    """An htmx request gets only the partial; a normal one the whole page (which includes it)."""
    return render(request, partial if getattr(request, "htmx", False) else template, context, **kwargs)
