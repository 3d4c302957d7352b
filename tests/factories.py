"""factory_boy factories. Units get their tree path through `unit_create`, like everywhere else."""

import datetime

import factory
from django.utils import timezone

from tasks import services
from tasks.models import Role, UnitKind


class UnitFactory(factory.Factory):
    """A unit made by `unit_create`; pass `parent` (regions may stand alone)."""

    class Meta:
        model = dict

    name = factory.Sequence(lambda n: f"单位{n}")
    kind = UnitKind.TOWNSHIP
    parent = None

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.unit_create(**kwargs)

    _build = _create


class PersonFactory(factory.Factory):
    class Meta:
        model = dict

    username = factory.Sequence(lambda n: f"user{n}")
    unit = None
    role = Role.UNIT_OFFICIAL
    position = ""
    password = "winteraction"

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.person_create(**kwargs)

    _build = _create


def days(n: int) -> datetime.date:
    """A date `n` days from today (Asia/Shanghai)."""
    return timezone.localdate() + datetime.timedelta(days=n)
