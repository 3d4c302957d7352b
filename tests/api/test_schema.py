"""The OpenAPI document describes every operation, and its viewers load nothing from outside the site."""

import re

import pytest
from django.test import Client, override_settings
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BINARY = {"type": "string", "format": "binary"}
# The views with an ETag (ETagMixin): only their writes on `{id}` can answer 412.
ETAG_RESOURCES = ("tasks", "milestones", "supervision-orders", "bulletins")


def fetch(django_db_blocker, **headers):
    # Module-scoped callers run before the autouse `_own_cache`: a cache of its own keeps the schema
    # view's throttle counters out of the Redis that parallel test processes (and later runs) share.
    scratch = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": __name__}}
    with django_db_blocker.unblock(), override_settings(CACHES=scratch):
        return Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json", **headers)


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    response = fetch(django_db_blocker)
    assert response.status_code == 200
    return response.json()


@pytest.fixture(scope="module")
def schemas_by_language(django_db_blocker):
    return {
        language: fetch(django_db_blocker, HTTP_ACCEPT_LANGUAGE=language).json()
        for language in ("en", "zh-hans")
    }


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_operation_has_a_summary(schema):
    assert [(m, p) for p, m, op in operations(schema) if not op.get("summary")] == []


def test_every_parameter_is_described(schema):
    missing = [
        (m, p, parameter["name"])
        for p, m, op in operations(schema)
        for parameter in op.get("parameters", [])
        if not parameter.get("description")
    ]
    assert missing == []


def test_every_operation_documents_its_error_responses(schema):
    for path, method, operation in operations(schema):
        codes = set(operation["responses"])
        assert "429" in codes, (method, path)
        if path != "/api/v1/auth/token/":
            assert {"401", "403"} <= codes, (method, path)
        if "{id}" in path:
            assert "404" in codes, (method, path)
        if method in ("post", "patch") and "{id}" in path and path.startswith("/api/v1/tasks/"):
            assert {"400", "409"} <= codes, (method, path)


def test_errors_are_documented_in_the_one_error_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"code", "detail", "fields"}


def test_sync_cursor_is_documented_on_the_task_list(schema):
    names = {parameter["name"] for parameter in schema["paths"]["/api/v1/tasks/"]["get"]["parameters"]}
    assert {"sync", "cursor", "page", "page_size", "updated_since", "overdue", "county"} <= names


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_api_viewers_load_only_local_assets(page, client):
    html = client.get(page).content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, html
    assert [url for url in sources if re.match(r"(https?:)?//", url)] == []
    assert "cdn" not in html.lower()


def test_chasing_documents_created_forbidden_and_conflict(schema):
    for path in ("/api/v1/tasks/{id}/chase/", "/api/v1/supervision-orders/{id}/chase/"):
        responses = schema["paths"][path]["post"]["responses"]
        assert {"201", "403", "404", "409"} <= set(responses), path


def test_my_messages_can_be_filtered_to_the_unread(schema):
    names = {
        parameter["name"] for parameter in schema["paths"]["/api/v1/notifications/"]["get"]["parameters"]
    }
    assert {"unread", "page", "page_size"} <= names


# ---- For code generators --------------------------------------------------------------------------------


def test_the_document_is_valid_openapi(schema):
    validate(schema)  # raises on the first error


def without_prose(node):
    """The document without what may be translated: descriptions, summaries, the title."""
    if isinstance(node, dict):
        return {k: without_prose(v) for k, v in node.items() if k not in ("description", "summary", "title")}
    if isinstance(node, list):
        return [without_prose(item) for item in node]
    return node


def test_the_document_is_the_same_in_english_and_chinese_apart_from_prose(schemas_by_language):
    english, chinese = schemas_by_language["en"], schemas_by_language["zh-hans"]

    assert without_prose(english) == without_prose(chinese)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_component_and_enum_names_are_ascii(schemas_by_language, language):
    schema = schemas_by_language[language]
    names = list(schema["components"]["schemas"])

    assert [name for name in names if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", name)] == []
    assert {"TaskStatusEnum", "RoleEnum", "OrderStatusEnum"} <= set(names)


def test_no_schema_carries_a_translated_title(schemas_by_language):
    # openapi-python-client names a model class after a schema's `title`: it must not be 状态 in Chinese.
    titled = re.findall(
        r'"title": "([^"]*)"', str(schemas_by_language["zh-hans"]["components"]).replace("'", '"')
    )

    assert titled == []


def test_operation_ids_are_readable_and_unique(schema):
    ids = [operation["operationId"] for _p, _m, operation in operations(schema)]

    assert len(ids) == len(set(ids))
    assert [i for i in ids if not re.fullmatch(r"[a-z][a-z0-9_]*", i) or i.startswith("v1_")] == []
    assert {"tasks_list", "tasks_retrieve", "tasks_close", "tasks_progress_reports_create"} <= set(ids)
    assert {"bulletins_pdf", "attachments_download", "notifications_read", "tasks_timeline_list"} <= set(ids)
    # An action that creates nothing is not called `_create`.
    assert {"tasks_close_create", "tasks_cancel_create", "cards_issue_create"}.isdisjoint(ids)


def test_each_resource_has_its_own_tag(schema):
    for path, method, operation in operations(schema):
        resource = path.removeprefix("/api/v1/").split("/")[0]
        assert operation["tags"] == [resource], (method, path)


def test_progress_reports_have_a_json_body_without_files_and_a_multipart_body_with_them(schema):
    content = schema["paths"]["/api/v1/tasks/{id}/progress-reports/"]["post"]["requestBody"]["content"]
    components = schema["components"]["schemas"]
    as_json = components[content["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]]
    as_multipart = components[content["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]]

    assert as_json is not as_multipart
    assert "attachments" not in as_json["properties"]
    assert as_multipart["properties"]["attachments"]["items"] == BINARY
    assert {"percent", "done"} <= set(as_json["properties"]) & set(as_multipart["properties"])


def test_no_json_body_has_a_file_field(schema):
    components = schema["components"]["schemas"]
    for path, method, operation in operations(schema):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is None:
            continue
        fields = components[body["schema"]["$ref"].rsplit("/", 1)[-1]].get("properties", {})
        files = [
            f for f, s in fields.items() if "binary" in (s.get("format"), s.get("items", {}).get("format"))
        ]
        assert files == [], (method, path)


@pytest.mark.parametrize(
    ("path", "media_types"),
    [
        ("/api/v1/tasks/", {"text/csv", XLSX}),
        ("/api/v1/imports/template/", {XLSX}),
        ("/api/v1/bulletins/{id}/pdf/", {"application/pdf"}),
        ("/api/v1/bulletins/{id}/docx/", {DOCX}),
        ("/api/v1/attachments/{id}/download/", {"*/*"}),
    ],
)
def test_downloads_are_binary_with_their_media_type_and_file_name(schema, path, media_types):
    response = schema["paths"][path]["get"]["responses"]["200"]

    assert media_types <= set(response["content"])
    assert all(response["content"][media_type]["schema"] == BINARY for media_type in media_types)
    assert "Content-Disposition" in response["headers"]


def test_the_task_list_as_json_is_still_the_page(schema):
    content = schema["paths"]["/api/v1/tasks/"]["get"]["responses"]["200"]["content"]

    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/PaginatedTaskList"}


def test_errors_are_documented_as_json_only(schema):
    responses = schema["paths"]["/api/v1/tasks/"]["get"]["responses"]

    assert list(responses["400"]["content"]) == ["application/json"]


def test_every_response_documents_the_rate_limit_headers(schema):
    headers = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
    for path, method, operation in operations(schema):
        for code, response in operation["responses"].items():
            assert set(headers) <= set(response.get("headers", {})), (method, path, code)
    assert set(headers) <= set(schema["components"]["headers"])


def test_a_429_documents_retry_after(schema):
    for path, method, operation in operations(schema):
        assert "Retry-After" in operation["responses"]["429"]["headers"], (method, path)


def test_reads_of_a_resource_with_an_etag_document_it(schema):
    responses = schema["paths"]["/api/v1/tasks/{id}/"]["get"]["responses"]

    assert "ETag" in responses["200"]["headers"]
    assert "ETag" in responses["304"]["headers"]
    assert schema["components"]["headers"]["ETag"]["schema"] == {"type": "string"}


def test_412_only_on_writes_to_one_resource_with_an_etag(schema):
    for path, method, operation in operations(schema):
        resource = path.removeprefix("/api/v1/").split("/")[0]
        may_412 = (
            method in ("post", "put", "patch", "delete") and "{id}" in path and resource in ETAG_RESOURCES
        )
        may_412 = may_412 and not path.endswith("/chase/")  # its own view, without an ETag
        assert ("412" in operation["responses"]) == may_412, (method, path)
        if may_412:
            assert "If-Match" in [p["name"] for p in operation.get("parameters", [])], (method, path)


def test_no_docstring_of_our_code_is_a_description(schemas_by_language):
    text = str(schemas_by_language["en"])

    for leak in ("For viewsets whose", "Base of the request bodies", "Text fields take only text"):
        assert leak not in text


@pytest.mark.parametrize(
    ("accept", "name"),
    [("application/vnd.oai.openapi+json", "json"), ("application/vnd.oai.openapi", "yaml")],
)
def test_the_schema_saves_under_a_plain_file_name(client, accept, name):
    # `curl -OJ` takes the name from Content-Disposition: one ASCII name, no encoded title.
    response = client.get("/api/schema/", HTTP_ACCEPT=accept)

    assert response["Content-Disposition"] == f'inline; filename="winteraction-openapi.{name}"'
