"""Querysets compiled once per process, then run as their SQL: for the reads that come all day long (a
task's detail, a dashboard's summary polled by a big screen), where building and compiling the
queryset costs more Python than the database spends answering it (docs/benchmarks.md).

What is kept is SQL text, its parameters and the compiler that turns the database's values into
Python's (dates on SQLite, time zones): never rows. The data is read anew on every call, so nothing here
can be stale; what a key names must fix the SQL completely, so every key is made by `statement_key`,
which takes every input a statement's SQL is built from (tests/tasks/test_compiled.py changes each).
"""

import datetime
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.db.models import QuerySet
from django.utils import translation

# A stand-in for the one value a statement may be compiled without: no row has it (ids are positive).
ANY_ID = -7_340_017_001
EMPTY = ("no rows",)


def key_of(value):
    """A value a statement is built from, as part of its key: a row by its model, id and path (the
    subtree filters read a unit's path), lists as tuples, anything else as it is."""
    if isinstance(value, models.Model):
        return (value._meta.label, value.pk, getattr(value, "path", None))
    if isinstance(value, list | tuple):
        return tuple(key_of(item) for item in value)
    return value


class StatementKey(NamedTuple):
    statement: str  # which statement: "task page", "task detail", "summary"
    access: tuple  # Access.key: the viewer's region and scopes
    unit: int | None  # the viewer's unit ("awaiting my report" reads it)
    day: datetime.date  # the flags (overdue, due soon, behind) compare with it
    language: str | None  # translated values a statement may carry
    due_soon_days: int  # settings the flags' conditions are built from
    behind_points: int
    filters: tuple  # the filters as validated: (name, key_of(value)) pairs
    bounds: tuple | None  # a page's (offset, limit)


def statement_key(
    statement: str,
    *,
    access,
    day: datetime.date,
    unit: int | None = None,
    filters: Mapping | None = None,
    bounds: tuple | None = None,
) -> StatementKey:
    """The key of a compiled statement: everything its SQL is built from."""
    return StatementKey(
        statement=statement,
        access=access.key,
        unit=unit,
        day=day,
        language=translation.get_language(),
        due_soon_days=settings.WINTERACTION_DUE_SOON_DAYS,
        behind_points=settings.WINTERACTION_BEHIND_POINTS,
        filters=tuple(sorted((name, key_of(value)) for name, value in (filters or {}).items())),
        bounds=bounds,
    )


class CompiledQueries:
    """A bounded, per-process map from a key to a compiled `.values()` queryset."""

    def __init__(self, size: int = 512):
        self.size = size
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def rows(self, key: StatementKey, build: Callable[[], QuerySet], *, pk: int | None = None):
        """The rows of `build()`, a `.values()` queryset, as dicts; built and compiled the first time
        `key` is asked for. With `pk`, the queryset filters on ANY_ID once, and each call runs it with
        `pk` in its place."""
        if not isinstance(key, StatementKey):
            raise TypeError("a compiled statement's key comes from statement_key()")
        stand_in, value = ANY_ID, pk
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
        if entry is None:
            entry = self._compile(build(), stand_in if value is not None else None)
            with self._lock:
                self._entries[key] = entry
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        if entry is EMPTY:
            return []
        alias, compiler, sql, params, names = entry
        if value is not None:
            params = tuple(value if param == stand_in else param for param in params)
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            found = cursor.fetchall()
        return [dict(zip(names, row, strict=True)) for row in compiler.results_iter(results=[found])]

    @staticmethod
    def _compile(queryset: QuerySet, stand_in) -> tuple:
        query = queryset.query
        compiler = query.get_compiler(queryset.db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # a condition that nothing meets (no scope at all): no statement to run
            return EMPTY
        if stand_in is not None and list(params).count(stand_in) != 1:
            raise ValueError(f"the queryset must filter on {stand_in!r} exactly once")
        names = (
            list(query.selected)
            if query.selected
            else [*query.extra_select, *query.values_select, *query.annotation_select]
        )
        return queryset.db, compiler, sql, tuple(params), names

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
