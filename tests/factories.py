"""Test data helpers. Rows are made through the services (see the `world` fixture in conftest.py),
so tests see the same rows and timeline the app makes; factory_boy would have to bypass them."""

import datetime

from django.utils import timezone


def days(n: int) -> datetime.date:
    """A date `n` days from today (Asia/Shanghai)."""
    return timezone.localdate() + datetime.timedelta(days=n)
