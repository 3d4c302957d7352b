from .models import Role
from .selectors import campaigns_visible_to
from .views.common import current_campaign


def navigation(request):
    """The navigation bar's campaign switcher and which links to show (the bell: supervision.context_processors)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_campaigns": list(campaigns_visible_to(user).order_by("-start_date", "-id")[:20]),
        "nav_campaign": current_campaign(request),
        "nav_supervises": user.is_superuser or user.role in (Role.OFFICE, Role.LEADER, Role.INSPECTOR),
        "nav_is_office": user.is_superuser or user.role == Role.OFFICE,
    }
