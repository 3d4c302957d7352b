"""Test data helpers. Rows are made through the services (see the `world` fixture in conftest.py),
so tests see the same rows and timeline the app makes; factory_boy would have to bypass them."""

import datetime

from django.utils import timezone


def days(n: int) -> datetime.date:
    """A date `n` days from today (Asia/Shanghai)."""
    return timezone.localdate() + datetime.timedelta(days=n)


def draft_bulletin(world, **kwargs):
    """A weekly bulletin of `world`'s county covering the last seven days, drafted by its office."""
    from supervision import services

    values = {
        "campaign": world.campaign,
        "region": world.county,
        "kind": "weekly",
        "period_start": days(-6),
        "period_end": days(0),
        "by": world.office,
    }
    values.update(kwargs)
    return services.bulletin_draft(**values)


def statistics_bureau(world):
    """县统计局 under `world`'s county (the data-source unit of indicators) and its official `tongji`."""
    from tasks import services

    bureau = services.unit_create(by=None, name="县统计局", kind="department", parent=world.county)
    official = services.person_create(
        by=None,
        username="tongji",
        unit=bureau,
        role="unit_official",
        position="局长",
        password="winteraction",
    )
    return bureau, official
