"""One JSON shape for every API error: {"code": …, "detail": …, "fields": {field: [messages]}}.

Service errors arrive as Django exceptions and are mapped here: ValidationError → 400, a
ValidationError with the code `invalid_transition` (the services' InvalidTransition) → 409, PermissionDenied → 403, Http404 → 404.
Denials (403, 404) are logged, so the office can see who tried what.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponseServerError, JsonResponse
from django.template import TemplateDoesNotExist, loader
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, renderers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

INVALID_TRANSITION = "invalid_transition"
access_log = logging.getLogger("winteraction.api.access")


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "invalid_transition"
    default_detail = "invalid transition"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"
    default_detail = "precondition failed"


def _messages(exc: DjangoValidationError) -> list[str]:
    return [str(message) for message in exc.messages]


def _translate(exc):
    """Django and service exceptions → DRF exceptions with the caller's language already applied."""
    if isinstance(exc, DjangoValidationError) and getattr(exc, "code", None) == INVALID_TRANSITION:
        return Conflict(detail=" ".join(_messages(exc)), code="invalid_transition")
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(
                {field: [str(m) for m in errors] for field, errors in exc.message_dict.items()}
            )
        return exceptions.ValidationError({"non_field_errors": _messages(exc)})
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(detail=str(exc) or None)
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    return exc


def _flatten(detail) -> list[str]:
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in _flatten(value)]
    if isinstance(detail, list):
        return [message for value in detail for message in _flatten(value)]
    return [str(detail)]


def exception_handler(exc, context):
    exc = _translate(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: let it surface as a 500 and be logged with the request
    detail = getattr(exc, "detail", None)
    fields = {}
    if isinstance(exc, exceptions.ValidationError):
        code = "invalid"
        if isinstance(detail, dict):
            non_field = detail.get("non_field_errors", [])
            fields = {name: _flatten(value) for name, value in detail.items() if name != "non_field_errors"}
            message = " ".join(_flatten(non_field)) or _("提交的内容有误,请检查标出的字段。")
        else:
            message = " ".join(_flatten(detail))
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = codes if isinstance(codes, str) else "error"
        message = " ".join(_flatten(detail)) if detail is not None else str(exc)
    if response.status_code in (403, 404):
        request = context.get("request")
        access_log.warning(
            "denied %s %s %s to %s",
            response.status_code,
            getattr(request, "method", "?"),
            getattr(request, "path", "?"),
            getattr(getattr(request, "user", None), "username", None) or "anonymous",
        )
    _in_json(context.get("request"))
    return Response(
        {"code": code, "detail": message, "fields": fields},
        status=response.status_code,
        headers=_headers(response),
    )


def _in_json(request) -> None:
    """An error is JSON whatever was asked for (`?format=csv`, `Accept: application/pdf`): a spreadsheet
    or a PDF saying "bad filter" helps nobody. The browsable API stays HTML for people."""
    renderer = getattr(request, "accepted_renderer", None)
    if renderer is None or isinstance(renderer, (renderers.JSONRenderer, renderers.BrowsableAPIRenderer)):
        return
    request.accepted_renderer = renderers.JSONRenderer()
    request.accepted_media_type = request.accepted_renderer.media_type


def _headers(response) -> dict:
    return {
        name: value
        for name, value in response.items()
        if name in ("WWW-Authenticate", "Retry-After", "Allow")
    }


def not_found(request, exception):
    """handler404: under /api/ the one error shape, elsewhere Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "detail": _("未找到。"), "fields": {}}, status=404)
    return defaults.page_not_found(request, exception)


@csrf_exempt  # like every API view: a POST to an unknown path is a 404, not an HTML CSRF 403
def api_not_found(request):
    """The last /api/ route. With DEBUG on (`make run`) Django answers an unresolved path with its
    HTML debug page rather than handler404; an API client gets the error shape either way."""
    return not_found(request, None)


def server_error(request):
    """handler500: under /api/ the one error shape, elsewhere templates/500.html; both with the request
    id that Django's log line of the error carries (winteraction.middleware.RequestIdMiddleware)."""
    request_id = getattr(request, "request_id", "")
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "code": "server_error",
                "detail": _("服务器内部错误,已记录。"),
                "fields": {},
                "request_id": request_id,
            },
            status=500,
        )
    try:
        template = loader.get_template("500.html")
    except TemplateDoesNotExist:
        return defaults.server_error(request)
    # No request context: the page must render even when what failed was a context processor.
    return HttpResponseServerError(template.render({"request_id": request_id}))
