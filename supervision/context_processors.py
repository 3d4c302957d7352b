"""The bell on every page: the signed-in person's unread notifications."""

from functools import cached_property

from .selectors import unread_count


class Inbox:
    """The bell's unread count: one query, and only when a template shows it (not for htmx partials)."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def unread(self) -> int:
        return unread_count(self.user)


def inbox(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_inbox": Inbox(user)}
