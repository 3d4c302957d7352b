"""ETags over the representation a client sees (derived flags included, so a new day changes it),
`If-None-Match` → 304 on reads, stale `If-Match` → 412 on writes.

One mechanism for every write on a resource with an ETag: a POST, PUT, PATCH or DELETE on its
`{id}` path (a change to it, or an action on it such as a progress report or a close) that carries
`If-Match` runs in one transaction that first finds the resource (404 outside the caller's
scope), locks its row and compares the ETag; a stale one answers 412 before the body is read and
nothing is written (RFC 9110 §13.2.2: preconditions before the request's content). The lock is
held until the write commits, so two clients with the same ETag cannot both win. A write without
`If-Match` (or with `If-Match: *`) proceeds. A view adds nothing for it: a new action is covered.
"""

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.response import Response

from .errors import PreconditionFailed
from .idempotency import has_saved_answer

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

IF_MATCH_HEADER = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description=_("可选。上次读取时的 ETag;记录已被修改时返回 412,不做任何修改。"),
)
IF_NONE_MATCH_HEADER = OpenApiParameter(
    "If-None-Match",
    str,
    OpenApiParameter.HEADER,
    description=_("可选。上次读取时的 ETag;未变化时返回 304。"),
)


def etag_for(data) -> str:
    payload = json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder, ensure_ascii=False)
    return '"' + hashlib.sha256(payload.encode()).hexdigest()[:32] + '"'


def _tags(header: str) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


class ETagMixin:
    """For viewsets whose `get_serializer(instance).data` is the resource (else override
    `representation`). Writes on `{id}` honour `If-Match`: see the module docstring."""

    def representation(self, instance) -> dict:
        return self.get_serializer(instance).data

    def retrieve(self, request, *args, **kwargs):
        data = self.representation(self.get_object())
        tag = etag_for(data)
        if tag in _tags(request.headers.get("If-None-Match", "")):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": tag})
        return Response(data, headers={"ETag": tag})

    def _conditional_write(self, request, kwargs) -> bool:
        """A write on `{id}` that carries If-Match."""
        return (
            request.method in WRITES
            and (self.lookup_url_kwarg or self.lookup_field) in kwargs
            and bool(request.headers.get("If-Match", "").strip())
        )

    def dispatch(self, request, *args, **kwargs):
        if not self._conditional_write(request, kwargs):
            return super().dispatch(request, *args, **kwargs)
        # The check (in `initial`), the write and its answer in one transaction: the row stays
        # locked from the check until the write commits.
        with transaction.atomic():
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, permissions, throttles first
        if self._conditional_write(request, kwargs):
            self.check_if_match(request)

    def check_if_match(self, request) -> None:
        """Lock the resource of this `{id}` route and compare its ETag with If-Match."""
        header = request.headers["If-Match"]
        found = self.get_object()  # 404 outside the caller's scope, before anything else
        pk = found["id"] if isinstance(found, dict) else found.pk
        locked = self.get_queryset().select_for_update(of=("self",)).get(pk=pk)
        if header.strip() == "*":
            return
        # A retry of a write that already happened (same Idempotency-Key) gets the first answer, not
        # a 412 for the ETag that write itself changed. Read under the lock: a concurrent first try
        # has committed by now.
        if has_saved_answer(request):
            return
        if etag_for(self.representation(locked)) not in _tags(header):
            raise PreconditionFailed(_("该记录已被他人修改(ETag 不匹配),请重新读取后再提交。"))

    def respond(self, instance, status_code=status.HTTP_200_OK) -> Response:
        data = self.representation(instance)
        return Response(data, status=status_code, headers={"ETag": etag_for(data)})
