"""ETags over the representation a client sees (derived flags included, so a new day changes it),
`If-None-Match` → 304 on reads, stale `If-Match` → 412 on writes."""

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.response import Response

from .errors import PreconditionFailed

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
    """For viewsets whose `get_serializer(instance).data` is the resource."""

    def representation(self, instance) -> dict:
        return self.get_serializer(instance).data

    def retrieve(self, request, *args, **kwargs):
        data = self.representation(self.get_object())
        tag = etag_for(data)
        if tag in _tags(request.headers.get("If-None-Match", "")):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": tag})
        return Response(data, headers={"ETag": tag})

    def check_if_match(self, request, instance) -> None:
        """Call inside the write's transaction, after locking `instance`. No header: no check."""
        header = request.headers.get("If-Match")
        if not header or header.strip() == "*":
            return
        if etag_for(self.representation(instance)) not in _tags(header):
            raise PreconditionFailed(_("该记录已被他人修改(ETag 不匹配),请重新读取后再提交。"))

    def respond(self, instance, status_code=status.HTTP_200_OK) -> Response:
        data = self.representation(instance)
        return Response(data, status=status_code, headers={"ETag": etag_for(data)})
