"""`Idempotency-Key`: a retried push (a phone on a bad connection) applies once.

The key, a fingerprint of the request and the answer are saved in the same transaction as the
write. A retry with the same key and the same request gets the saved answer; the same key with
a different request is refused (422). Two concurrent first tries race on a unique constraint:
the loser's transaction, write included, rolls back and it answers with the winner's response.
"""

import hashlib

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, status
from rest_framework.response import Response

HEADER = "Idempotency-Key"
IDEMPOTENCY_HEADER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    description=_("可选。同一个键重试时只执行一次,返回第一次的结果。"),
)


def saved_answers():
    """The model that keeps the answers (settings.API_IDEMPOTENCY_MODEL): user, key, fingerprint,
    status_code, body, unique on (user, key)."""
    return apps.get_model(settings.API_IDEMPOTENCY_MODEL, require_ready=True)


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = "idempotency key reused"


def _fingerprint(request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    for name, value in sorted(request.data.items()) if hasattr(request.data, "items") else []:
        if hasattr(value, "read"):  # an uploaded file: its name and size
            digest.update(f"{name}={value.name}:{value.size}\n".encode())
        else:
            digest.update(f"{name}={value}\n".encode())
    for name, files in sorted(request.FILES.lists()):
        for upload in files:
            digest.update(f"{name}@{upload.name}:{upload.size}\n".encode())
    return digest.hexdigest()


def _replay(saved, fingerprint: str) -> Response:
    if saved.fingerprint != fingerprint:
        raise KeyReused(_("该 Idempotency-Key 已用于另一个请求。"))
    return Response(saved.body, status=saved.status_code, headers={"Idempotent-Replayed": "true"})


def has_saved_answer(request) -> bool:
    """The request's Idempotency-Key already has a saved answer: `idempotent` will replay it."""
    key = request.headers.get(HEADER, "").strip()
    return bool(key) and saved_answers().objects.filter(user=request.user, key=key).exists()


def idempotent(request, write) -> Response:
    """Run `write()` (returning a Response) at most once per (user, Idempotency-Key)."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        with transaction.atomic():
            return write()
    if len(key) > 128:
        raise exceptions.ValidationError({HEADER: [_("Idempotency-Key 最长 128 个字符。")]})
    fingerprint = _fingerprint(request)
    saved = saved_answers().objects.filter(user=request.user, key=key).first()
    if saved:
        return _replay(saved, fingerprint)
    try:
        with transaction.atomic():
            response = write()
            saved_answers().objects.create(
                user=request.user,
                key=key,
                fingerprint=fingerprint,
                status_code=response.status_code,
                body=response.data,
            )
            return response
    except IntegrityError:
        saved = saved_answers().objects.filter(user=request.user, key=key).first()
        if saved is None:
            raise
        return _replay(saved, fingerprint)
