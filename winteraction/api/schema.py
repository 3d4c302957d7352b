"""OpenAPI: every operation documents the error responses it can give, in the one error shape."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

ERRORS = {
    400: "Invalid input: `fields` says what is wrong with each field.",
    401: "Not signed in, or the token is missing, revoked or expired.",
    403: "Signed in, but this role, unit or token may not do this.",
    404: "Does not exist, or lies outside the caller's scope.",
    409: "Not possible in the current status (`invalid_transition`).",
    412: "`If-Match` does not match the current ETag: someone changed it first.",
    415: "The request body's `Content-Type` is not one this operation accepts.",
    422: "The `Idempotency-Key` was already used for a different request.",
    429: "Too many requests: wait for `Retry-After` seconds.",
}


class ErrorSerializer(serializers.Serializer):
    """The one shape of every error response."""

    code = serializers.CharField(
        help_text=_("机器可读的错误代码,如 invalid、not_found、invalid_transition。")
    )
    detail = serializers.CharField(help_text=_("给人看的说明,使用请求的语言。"))
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), help_text=_("各字段的错误信息。")
    )


class AutoSchema(BaseAutoSchema):
    def _errors_for(self) -> list[int]:
        method = self.method.upper()
        codes = [401, 403, 429]
        if self.path.rstrip("/").endswith("}") or "{" in self.path:
            codes.append(404)
        if self._get_format_parameters():
            codes.append(404)  # an unknown `?format=` (DRF's content negotiation)
        if method == "GET" and self._is_list_view():
            if self._get_pagination_parameters():
                codes += [400, 404]  # a page_size that is not a number; a page past the last
            if self._get_filter_parameters():
                codes.append(400)  # a filter value that is not valid (`fields` says which)
        if method in ("POST", "PUT", "PATCH"):
            codes.append(400)
            if self.get_request_serializer() is not None:
                codes.append(415)
            if "{" in self.path:
                codes += [409, 412]
        if method == "POST" and self.path.endswith(("progress-reports/", "attachments/")):
            codes.append(422)
        if self.get_auth() == []:
            codes = [code for code in codes if code not in (401, 403)]
        return sorted(set(codes))

    def _get_response_bodies(self, direction="response"):
        from .etags import ETagMixin

        bodies = super()._get_response_bodies(direction)
        if self.method == "GET" and not self._is_list_view() and isinstance(self.view, ETagMixin):
            bodies["304"] = {"description": "Not modified: `If-None-Match` names the current ETag. No body."}
        for code in self._errors_for():
            if str(code) not in bodies:
                response = OpenApiResponse(response=ErrorSerializer, description=ERRORS[code])
                bodies[str(code)] = self._get_response_for_code(response, str(code), direction=direction)
        return bodies


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "winteraction.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <token>` or `Bearer <token>`: create one at /api/v1/tokens/ or /api/v1/auth/token/.",
        }


def describe_format_parameter(result, generator, request, public):
    """DRF's `format` override has no description of its own: say what it is for."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "format" and not parameter.get("description"):
                    formats = set(parameter.get("schema", {}).get("enum", []))
                    if formats & {"pdf", "docx"}:
                        parameter["description"] = "The document's type; the document is sent either way."
                    else:
                        parameter["description"] = (
                            "`csv` or `xlsx` downloads the whole filtered list as a spreadsheet "
                            "(Chinese column headers, not paged); JSON otherwise."
                        )
    return result
