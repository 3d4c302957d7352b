"""The reminder tests measure the daily scan and the chase. The services they set up with (a task
created, an order issued, a rectification reported) now tell their handoffs at once
(supervision/handoffs.py); `clear_handoffs` removes those notifications once a test's scene is set, so
each test starts from inboxes and an outbox that only the scan and the chase fill. The handoffs have
their own tests (tests/supervision/test_handoffs.py)."""

import pytest

from supervision.models import Notification, ReminderRule

HANDOFF_RULES = [
    rule
    for rule in ReminderRule.values
    if rule
    not in (
        ReminderRule.DUE_SOON,
        ReminderRule.OVERDUE,
        ReminderRule.DIGEST,
        ReminderRule.STALE_REPORT,
        ReminderRule.MILESTONE_DUE,
        ReminderRule.MILESTONE_OVERDUE,
        ReminderRule.ORDER_DUE,
        ReminderRule.ORDER_OVERDUE,
        ReminderRule.CHASE,
        ReminderRule.INDICATOR_DUE,
    )
]


def clear_handoffs() -> None:
    """Delete the handoffs' notifications (their inbox items and deliveries go with them)."""
    Notification.objects.filter(rule__in=HANDOFF_RULES).delete()


@pytest.fixture
def world(world):
    """conftest's county, whose `task()` leaves no handoff behind."""
    make = world.task

    def task(**kwargs):
        made = make(**kwargs)
        clear_handoffs()
        return made

    world.task = task
    return world
