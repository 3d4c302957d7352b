"""CORS: the API answers browsers on the allowed origins (CORS_ALLOWED_ORIGINS) and nobody else;
the pages never."""

import pytest

DASHBOARD = "https://screen.example.gov.cn"
ME = "/api/v1/me/"


@pytest.fixture(autouse=True)
def _allowed(settings):
    settings.CORS_ALLOWED_ORIGINS = [DASHBOARD]


def preflight(client, path, origin, method="PATCH", headers="authorization,if-match,idempotency-key"):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS=headers,
    )


def test_an_allowed_dashboard_may_send_the_apis_headers(db, client):
    response = preflight(client, "/api/v1/tasks/1/", DASHBOARD)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == DASHBOARD
    allowed = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "if-match", "if-none-match", "idempotency-key"} <= allowed


def test_an_allowed_dashboard_can_read_etag_and_rate_limit_headers(world, api):
    response = api(world.wanan_official).get(ME, HTTP_ORIGIN=DASHBOARD)

    assert response["Access-Control-Allow-Origin"] == DASHBOARD
    exposed = {h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert {
        "etag",
        "retry-after",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    } <= exposed


def test_another_origin_gets_no_cors_headers(world, api, client):
    evil = "https://evil.example.com"

    answers = [preflight(client, ME, evil), api(world.wanan_official).get(ME, HTTP_ORIGIN=evil)]

    assert all("Access-Control-Allow-Origin" not in response for response in answers)


def test_pages_get_no_cors_headers_even_for_an_allowed_origin(world, client):
    client.force_login(world.wanan_official)

    response = client.get("/", HTTP_ORIGIN=DASHBOARD)

    assert "Access-Control-Allow-Origin" not in response


def test_no_origin_is_allowed_by_default(monkeypatch):
    from winteraction import config

    monkeypatch.delenv("CORS_ALLOWED_ORIGINS", raising=False)

    assert config.cors_origins("CORS_ALLOWED_ORIGINS") == []
