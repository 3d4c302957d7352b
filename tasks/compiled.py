"""Querysets compiled once per process, then run as their SQL: for the reads that come all day long (a
task's detail, a dashboard's summary polled by a big screen), where building and compiling the
queryset costs more Python than the database spends answering it (docs/benchmarks.md).

What is kept is SQL text, its parameters and the compiler that turns the database's values into
Python's (dates on SQLite, time zones): never rows. The data is read anew on every call, so nothing here
can be stale; what a key names must fix the SQL completely (the viewer's access, the filters, the day).
"""

import threading
from collections import OrderedDict
from collections.abc import Callable

from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.db.models import QuerySet

# Stand-ins for the one value a statement is compiled without: no row has them (ids are positive,
# digests are 64 hex digits).
ANY_ID = -7_340_017_001
ANY_TEXT = "\x00any"
EMPTY = ("no rows",)


def key_of(value):
    """A value a statement is built from, as part of its key: a row by its model, id and path (the
    subtree filters read a unit's path), lists as tuples, anything else as it is."""
    if isinstance(value, models.Model):
        return (value._meta.label, value.pk, getattr(value, "path", None))
    if isinstance(value, list | tuple):
        return tuple(key_of(item) for item in value)
    return value


class CompiledQueries:
    """A bounded, per-process map from a key to a compiled `.values()` queryset."""

    def __init__(self, size: int = 512):
        self.size = size
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def rows(self, key, build: Callable[[], QuerySet], *, pk: int | None = None, text: str | None = None):
        """The rows of `build()`, a `.values()` queryset, as dicts; built and compiled the first time
        `key` is asked for. With `pk` (`text`), the queryset filters on ANY_ID (ANY_TEXT) once, and each
        call runs it with `pk` (`text`) in its place."""
        stand_in, value = (ANY_ID, pk) if pk is not None else (ANY_TEXT, text)
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
