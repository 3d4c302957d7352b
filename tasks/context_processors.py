from functools import cached_property

from .models import Role
from .selectors import campaigns_visible_to
from .views.common import current_campaign


class Inbox:
    """The bell's unread count: one query, and only when a template shows it (not for htmx partials)."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def unread(self) -> int:
        from supervision.selectors import unread_count

        return unread_count(self.user)


def navigation(request):
    """The navigation bar's campaign switcher, the bell, and which links to show."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_campaigns": list(campaigns_visible_to(user).order_by("-start_date", "-id")[:20]),
        "nav_campaign": current_campaign(request),
        "nav_supervises": user.is_superuser or user.role in (Role.OFFICE, Role.LEADER, Role.INSPECTOR),
        "nav_is_office": user.is_superuser or user.role == Role.OFFICE,
        "nav_inbox": Inbox(user),
    }
