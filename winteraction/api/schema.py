"""OpenAPI: every operation documents the error responses and headers it can give, in the one error
shape, and the document reads the same to a code generator whatever the caller's language.

What a generated client meets (docs/api.md): one tag per resource (`tasks`, `progress-reports` …);
operationIds from the path (`tasks_list`, `tasks_retrieve`, `tasks_close`,
`tasks_progress_reports_create`); JSON and multipart bodies as separate components; downloads as
binary; ASCII component and enum names; descriptions only where written for integrators
(`extend_schema`, `help_text`: DISABLE_DOCSTRING_DESCRIPTIONS keeps our docstrings out).
"""

import copy

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.plumbing import anchor_pattern, get_view_model
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.schemas.utils import get_pk_description

JSON = "application/json"
MULTIPART = "multipart/form-data"
BINARY = {"type": "string", "format": "binary"}
WRITES = ("POST", "PUT", "PATCH", "DELETE")

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
    # ---- Names: a tag per resource, operationIds from the path (SCHEMA_PATH_PREFIX drops /api/v1)

    def get_operation_id(self) -> str:
        """`<path words>_<list|retrieve|create|update|partial_update|destroy>` for the standard
        routes; an action on one resource is its path alone (`tasks_close`, `bulletins_pdf`), but a
        sub-collection keeps `_list` / `_create` (`tasks_progress_reports_create`)."""
        action = getattr(self.view, getattr(self.view, "action", None) or "", None)
        mapping = getattr(action, "mapping", None)  # set by @action: a route of its own
        if mapping is None:
            return super().get_operation_id()
        words = [word.replace("-", "_") for word in self._tokenize_path()]
        if self.method == "GET" and self._is_list_view():
            words.append("list")
        elif self.method == "POST" and "get" in mapping:  # GET lists what POST adds to
            words.append("create")
        return "_".join(words)

    def _resolve_path_parameters(self, variables):
        """An `{id}` (the router's integer pattern, routers.ID) is an integer, described as the model's key."""
        from .routers import ID

        parameters = super()._resolve_path_parameters(variables)
        model = get_view_model(self.view, emit_warnings=False)
        for parameter in parameters:
            if parameter["schema"].get("pattern") == anchor_pattern(ID):
                parameter["schema"] = {"type": "integer"}
                if model is not None and not parameter.get("description"):
                    parameter["description"] = get_pk_description(model, model._meta.pk)
        return parameters

    # ---- Errors and headers

    def _has_etag(self) -> bool:
        from .etags import ETagMixin

        return isinstance(self.view, ETagMixin) and "{id}" in self.path

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        # Every write that may answer 412 takes If-Match (IF_MATCH_HEADER; explicit ones win).
        if self.method in WRITES and self._has_etag():
            from .etags import IF_MATCH_HEADER

            if not any(getattr(p, "name", None) == "If-Match" for p in parameters):
                parameters = [*parameters, IF_MATCH_HEADER]
        return parameters

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
                codes.append(409)
        if method in WRITES and self._has_etag():
            codes.append(412)
        if method == "POST" and self.path.endswith(("progress-reports/", "attachments/")):
            codes.append(422)
        if self.get_auth() == []:
            codes = [code for code in codes if code not in (401, 403)]
        return sorted(set(codes))

    def _get_response_bodies(self, direction="response"):
        from .etags import ETagMixin

        bodies = super()._get_response_bodies(direction)
        if getattr(self.view, "action", None) == "retrieve" and isinstance(self.view, ETagMixin):
            bodies["304"] = {
                "description": "Not modified: `If-None-Match` names the current ETag. No body.",
                "headers": {"ETag": {"$ref": "#/components/headers/ETag"}},
            }
            for code, body in bodies.items():
                if code.startswith("2"):
                    body.setdefault("headers", {})["ETag"] = {"$ref": "#/components/headers/ETag"}
        for code in self._errors_for():
            if str(code) not in bodies:
                # Errors are JSON whatever was asked for (`?format=csv` too): see errors.py.
                response = OpenApiResponse(response=ErrorSerializer, description=ERRORS[code])
                bodies[str(code)] = self._get_response_for_code(
                    response, str(code), media_types=[JSON], direction=direction
                )
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
                    parameter["description"] = (
                        "`csv` or `xlsx` downloads the whole filtered list as a spreadsheet "
                        "(Chinese column headers, not paged); JSON otherwise."
                    )
    return result


# ---- The document as a whole ---------------------------------------------------------------------------

HEADERS = {
    "ETag": "The representation's version: send it back in `If-None-Match` (reads) or `If-Match` (writes).",
    "Retry-After": "Seconds to wait before the next request.",
    "Content-Disposition": "`attachment` with the file's name (`filename*` in UTF-8, an ASCII `filename`).",
    "X-RateLimit-Limit": "Requests allowed in the current window for this caller (token, user or address).",
    "X-RateLimit-Remaining": "Requests left in the current window.",
    "X-RateLimit-Reset": "Seconds until the window resets.",
}
INTEGER_HEADERS = ("Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def _operations(result):
    for methods in result.get("paths", {}).values():
        for method, operation in methods.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield method, operation


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/headers/{name}"}


def _plain(schema):
    """A schema without `title`s (a field's label, translated: a generator would name classes after
    it, differently in each language) and without an `allOf` that only wrapped a `$ref` to carry one."""
    if isinstance(schema, list):
        return [_plain(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    plain = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "properties" and isinstance(value, dict):  # names of fields, one of them maybe "title"
            plain[key] = {name: _plain(field) for name, field in value.items()}
        else:
            plain[key] = _plain(value)
    all_of = plain.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and set(plain) == {"allOf"}:
        return all_of[0]
    return plain


def _split_multipart(result) -> None:
    """One serializer for a JSON and a multipart body gives one component with binary fields in both:
    a generated client then sends multipart labelled as JSON. The JSON body gets the component without
    its files; the multipart body a `<Name>Multipart` component with them."""
    schemas = result["components"]["schemas"]
    for _method, operation in _operations(result):
        content = operation.get("requestBody", {}).get("content", {})
        if JSON not in content or MULTIPART not in content:
            continue
        ref = content[JSON]["schema"].get("$ref", "")
        name = ref.rsplit("/", 1)[-1]
        component = schemas.get(name)
        if component is None or content[MULTIPART]["schema"].get("$ref") != ref:
            continue
        files = [
            field
            for field, schema in component.get("properties", {}).items()
            if schema.get("format") == "binary" or schema.get("items", {}).get("format") == "binary"
        ]
        if not files:
            continue
        multipart = name.removesuffix("Request") + "MultipartRequest"
        schemas[multipart] = copy.deepcopy(component)
        for field in files:
            del component["properties"][field]
        if "required" in component:
            component["required"] = [field for field in component["required"] if field not in files]
            if not component["required"]:
                del component["required"]
        content[MULTIPART]["schema"] = {"$ref": f"#/components/schemas/{multipart}"}


def _document_responses(result) -> None:
    """Downloads are binary; every response documents the rate-limit headers, a 429 its Retry-After,
    a download its Content-Disposition."""
    for _method, operation in _operations(result):
        for code, response in operation["responses"].items():
            headers = response.setdefault("headers", {})
            for media_type, content in response.get("content", {}).items():
                if media_type != JSON and code.startswith("2"):
                    content["schema"] = dict(BINARY)
                    headers["Content-Disposition"] = _ref("Content-Disposition")
            if code == "429":
                headers["Retry-After"] = _ref("Retry-After")
            for name in RATE_LIMIT_HEADERS:
                headers[name] = _ref(name)
    result["components"]["headers"] = {
        name: {
            "description": description,
            "schema": {"type": "integer"} if name in INTEGER_HEADERS else {"type": "string"},
        }
        for name, description in HEADERS.items()
    }


def _link_created_resources(result) -> None:
    """OpenAPI links from a creation to what can be done with what it created: `POST /tasks/` (201) →
    every operation on `/tasks/{id}/…`; `POST /tasks/{id}/progress-reports/` (201) → every operation
    on `/progress-reports/{id}/…`. Generators show them; Schemathesis follows them (stateful tests)."""
    paths = result.get("paths", {})
    prefix = "/api/v1/"
    for path, methods in paths.items():
        created = methods.get("post", {}).get("responses", {}).get("201")
        if created is None or "id" not in _response_properties(result, created):
            continue
        resource = path.removeprefix(prefix).rstrip("/").rsplit("/", 1)[-1]
        detail = f"{prefix}{resource}/{{id}}/"
        links = {
            operation["operationId"]: {
                "operationId": operation["operationId"],
                "parameters": {"id": "$response.body#/id"},
            }
            for target, target_methods in paths.items()
            if target.startswith(detail)
            for _method, operation in target_methods.items()
            if isinstance(operation, dict) and "operationId" in operation
        }
        if links:
            created["links"] = links


def _name_page_shapes(result) -> None:
    """A list paged by number or by the sync cursor (pagination.PageOrSyncPagination) answers one of
    two shapes: as named components a generated client gets `PaginatedTaskListNumbered` and
    `PaginatedTaskListSync`, not `PaginatedTaskListType0` and `…Type1`."""
    schemas = result["components"]["schemas"]
    for name, schema in list(schemas.items()):
        variants = schema.get("oneOf", [])
        if not variants or not all("properties" in variant for variant in variants):
            continue
        refs = []
        for variant in variants:
            shape = name + ("Sync" if "resume" in variant["properties"] else "Numbered")
            schemas[shape] = variant
            refs.append({"$ref": f"#/components/schemas/{shape}"})
        schema["oneOf"] = refs


def _response_properties(result, response) -> dict:
    schema = response.get("content", {}).get(JSON, {}).get("schema", {})
    name = schema.get("$ref", "").rsplit("/", 1)[-1]
    return result["components"]["schemas"].get(name, schema).get("properties", {})


def for_generators(result, generator, request, public):
    """The postprocessing that makes the document the same for every caller and usable by code
    generators (openapi-python-client, openapi-typescript): see the module's docstring."""
    schemas = result["components"]["schemas"]
    result["components"]["schemas"] = {name: _plain(schema) for name, schema in schemas.items()}
    for _method, operation in _operations(result):
        for parameter in operation.get("parameters", []):
            parameter["schema"] = _plain(parameter.get("schema", {}))
    _split_multipart(result)
    _document_responses(result)
    _link_created_resources(result)
    _name_page_shapes(result)
    return result
