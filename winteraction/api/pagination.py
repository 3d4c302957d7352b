"""Page numbers with a count by default; a keyset cursor over (updated_at, id) for sync clients.

A sync client starts with `?sync=true` (optionally with `updated_since`), follows `next`
until it is null, and keeps `resume`: coming back later with `?cursor=<resume>` returns
exactly the rows changed since, none missed and none repeated. Rows changed in the last
`API_SYNC_SETTLE_SECONDS` are held back until the next pull, so a transaction that
commits late (its `updated_at` is taken before it commits) is not skipped.

A cursor also names the day (the current time zone's) its page was computed on. A resource whose
representation changes with the day without any row changing (a task's `days_left` and flags: the
view says `changes_daily = True`) starts over from the first row when a cursor from an earlier day
comes back: the first pull of a day carries every row, so a client that applies it has every value
as of today (the daily re-sync), and the pulls after it carry only the changes again.
"""

import base64
import binascii
import datetime

from django.conf import settings
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from ..parsing import whole_number


def page_rows(view, queryset, *, numbered: bool = False) -> list:
    """A page's rows: what the view's `page_rows` makes of the page's queryset (the task list takes
    `.values()`: it writes its JSON by hand), else the model instances. `numbered`: the queryset is
    the view's filtered list, sliced by page number and nothing else (the sync cursor adds a condition)."""
    rows = getattr(view, "page_rows", None)
    return rows(queryset, numbered=numbered) if rows is not None else list(queryset)


class RowsPaginator(DjangoPaginator):
    """Django's paginator, counting the queryset as given but reading each page through `rows`."""

    def __init__(self, *args, rows=list, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows

    def _get_page(self, object_list, *args, **kwargs):
        return super()._get_page(self.rows(object_list), *args, **kwargs)


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        return read_page_size(request, self.page_size_query_param, self.page_size, self.max_page_size)

    def get_page_number(self, request, paginator):
        # DRF reads `page=` as the first page; like `page=abc`, it is a page that does not exist.
        number = request.query_params.get(self.page_query_param)
        if number is not None and not number.strip():
            raise exceptions.NotFound(self.invalid_page_message.format(page_number=number, message=""))
        return super().get_page_number(request, paginator)

    def paginate_queryset(self, queryset, request, view=None):
        self.view = view
        return super().paginate_queryset(queryset, request, view)

    def django_paginator_class(self, queryset, page_size):
        # Called by DRF as a class would be: the count runs on the queryset itself (values() would join
        # the tables it reads into the count too), the page comes as the view's rows.
        return RowsPaginator(queryset, page_size, rows=lambda page: page_rows(self.view, page, numbered=True))


def read_page_size(request, param: str, default: int, maximum: int) -> int:
    """DRF quietly falls back to the default for a page size it cannot read; say so instead."""
    raw = request.query_params.get(param)
    if raw is None:
        return default
    size = whole_number(raw)
    if not size:
        raise exceptions.ValidationError({param: [_("必须是正整数(最大 %(max)d)。") % {"max": maximum}]})
    return min(size, maximum)


def encode_cursor(updated_at: datetime.datetime, pk: int, day: datetime.date) -> str:
    raw = f"{updated_at.isoformat()}|{pk}|{day.isoformat()}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(value: str) -> tuple[datetime.datetime, int, datetime.date | None]:
    """(updated_at, id, day); a cursor written before cursors named their day has None."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        stamp, pk, *day = raw.split("|")
        updated_at = parse_datetime(stamp)
        if updated_at is None or updated_at.tzinfo is None or len(day) > 1:
            raise ValueError(stamp)
        return updated_at, int(pk), datetime.date.fromisoformat(day[0]) if day else None
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise exceptions.ValidationError({"cursor": [_("游标无效,请从 sync=true 重新开始同步。")]}) from None


class SyncCursorPagination:
    """Keyset pagination in (updated_at, id) order; see the module docstring."""

    cursor_query_param = "cursor"
    page_size = 200
    page_size_query_param = "page_size"
    max_page_size = 1000

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = read_page_size(request, self.page_size_query_param, self.page_size, self.max_page_size)
        settle = datetime.timedelta(seconds=settings.API_SYNC_SETTLE_SECONDS)
        queryset = queryset.filter(updated_at__lte=timezone.now() - settle).order_by("updated_at", "id")
        self.position = None
        self.day = timezone.localdate()  # before the rows are written out: see the module docstring
        value = request.query_params.get(self.cursor_query_param)
        updated_at, pk, day = decode_cursor(value) if value else (None, None, None)
        if value:
            self.position = (updated_at, pk)
        # A cursor from an earlier day, on a resource that changes with the day: from the first row.
        if value and (day == self.day or not getattr(view, "changes_daily", False)):
            # (updated_at, id) > (cursor): written with a range on updated_at alone, so that the
            # database walks the (updated_at, id) index from the cursor on. The plain OR form gives it
            # no range: it read and sorted every row after the cursor (a deep page cost 3× the first).
            queryset = queryset.filter(updated_at__gte=updated_at).filter(
                Q(updated_at__gt=updated_at) | Q(id__gt=pk)
            )
        rows = page_rows(view, queryset[: size + 1])
        self.has_next = len(rows) > size
        self.rows = rows[:size]
        if self.rows:
            last = self.rows[-1]  # a model instance, or a row of values (the task list's JSON)
            self.position = (
                (last["updated_at"], last["id"]) if isinstance(last, dict) else (last.updated_at, last.pk)
            )
        return self.rows

    def _url(self, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        url = remove_query_param(self.request.build_absolute_uri(), "sync")
        return replace_query_param(url, self.cursor_query_param, cursor)

    def get_paginated_response(self, data):
        resume = encode_cursor(*self.position, self.day) if self.position else None
        return Response(
            {
                "next": self._url(resume) if self.has_next else None,
                "resume": resume,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "resume", "results"],
            "properties": {
                "next": {"type": "string", "format": "uri", "nullable": True},
                "resume": {
                    "type": "string",
                    "nullable": True,
                    "description": "Cursor of the last row: pass it as `cursor` later to get what changed "
                    "since. On the first pull of a new day (Asia/Shanghai) it carries every row again, since "
                    "`days_left` and the flags change at midnight (the daily re-sync).",
                },
                "results": schema,
            },
        }


class PageOrSyncPagination(PageNumberPagination):
    """Page numbers, or the sync cursor when the request says `sync=true` or carries a `cursor`."""

    def _sync(self, request) -> bool:
        sync = request.query_params.get("sync")
        if sync is not None and sync.lower() not in ("1", "true", "0", "false"):
            raise exceptions.ValidationError({"sync": [_("只能是 true 或 false。")]})
        return "cursor" in request.query_params or (sync or "").lower() in ("1", "true")

    def paginate_queryset(self, queryset, request, view=None):
        self.delegate = SyncCursorPagination() if self._sync(request) else None
        if self.delegate:
            return self.delegate.paginate_queryset(queryset, request, view)
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        if self.delegate:
            return self.delegate.get_paginated_response(data)
        return super().get_paginated_response(data)

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": "sync",
                "in": "query",
                "required": False,
                "description": "`true` switches to the sync cursor: rows in (updated_at, id) order, "
                "`next` and `resume` cursors instead of page numbers and a count.",
                "schema": {"type": "boolean"},
            },
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "A `next` or `resume` cursor from an earlier sync response. A cursor "
                "from an earlier day starts over from the first row (the daily re-sync).",
                "schema": {"type": "string"},
            },
        ]

    def get_paginated_response_schema(self, schema):
        return {
            "oneOf": [
                super().get_paginated_response_schema(schema),
                SyncCursorPagination.get_paginated_response_schema(self, schema),
            ]
        }
