"""The OpenAPI document describes every operation, and its viewers load nothing from outside the site."""

import re

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    # Module-scoped, so it runs before the autouse `_own_cache`: a cache of its own keeps the schema
    # view's throttle counters out of the Redis that parallel test processes (and later runs) share.
    scratch = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": __name__}}
    with django_db_blocker.unblock(), override_settings(CACHES=scratch):
        response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


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
