"""Compiled statements (tasks/compiled.py) are keyed by statement_key(), which must take every input of
a statement's SQL: a key that missed one would hand one viewer's statement to another, or yesterday's."""

import datetime

import pytest
from django.utils import translation

from tasks.compiled import CompiledQueries, StatementKey, statement_key
from tasks.models import Task
from tasks.selectors import Access, access_for

DAY = datetime.date(2026, 12, 5)


def key(**changes) -> StatementKey:
    arguments = {
        "access": Access(everything=True),
        "unit": 1,
        "day": DAY,
        "filters": {"overdue": True},
        "bounds": (0, 50),
    }
    arguments.update(changes)
    return statement_key("task page", **arguments)


# Each input of the SQL, and a way to change only it. A field added to StatementKey without a line
# here fails test_every_input_of_the_key_is_exercised.
def _other_access(world):
    return key(access=access_for(world.office))


def _other_unit(world):
    return key(unit=2)


def _other_day(world):
    return key(day=DAY + datetime.timedelta(days=1))


def _other_language(world):
    with translation.override("en"):
        return key()


def _other_due_soon(world, settings):
    settings.WINTERACTION_DUE_SOON_DAYS += 1
    return key()


def _other_behind(world, settings):
    settings.WINTERACTION_BEHIND_POINTS += 1
    return key()


def _other_filters(world):
    return key(filters={"overdue": False})


def _other_bounds(world):
    return key(bounds=(50, 100))


VARIATIONS = {
    "access": _other_access,
    "unit": _other_unit,
    "day": _other_day,
    "language": _other_language,
    "due_soon_days": _other_due_soon,
    "behind_points": _other_behind,
    "filters": _other_filters,
    "bounds": _other_bounds,
}


def test_every_input_of_the_key_is_exercised():
    assert set(VARIATIONS) == set(StatementKey._fields) - {"statement"}


@pytest.mark.parametrize("name", sorted(VARIATIONS))
def test_changing_one_input_of_the_sql_changes_the_key(world, settings, name):
    variation = VARIATIONS[name]
    baseline = key()
    changed = variation(world, settings) if "settings" in variation.__code__.co_varnames else variation(world)

    assert changed != baseline
    assert [
        field for field in StatementKey._fields if getattr(changed, field) != getattr(baseline, field)
    ] == [name]


def test_the_same_inputs_give_the_same_key():
    assert key() == key()


def test_a_key_made_by_hand_is_refused(db):
    with pytest.raises(TypeError):
        CompiledQueries().rows(("task page",), lambda: Task.objects.values("id"))
