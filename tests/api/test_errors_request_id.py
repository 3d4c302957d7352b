"""Every request has an id (the proxy's X-Request-ID if sane, else a new one): in the response header,
on every log line of the request, and on the 500 page and the API's 500 body, so that what a user
reports leads to the traceback."""

import io
import logging

import pytest

pytestmark = pytest.mark.urls("tests.api.boom_urls")


@pytest.fixture
def failing(settings, client):
    """A client that gets the production 500 (DEBUG off) instead of the exception."""
    settings.DEBUG = False
    client.raise_request_exception = False
    return client


@pytest.fixture
def console():
    """What the configured console handler (settings.LOGGING) writes, as text."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def test_the_500_page_shows_the_request_id_from_the_response_header(db, failing):
    response = failing.get("/boom/")

    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    assert len(request_id) >= 16
    assert f'<code id="request-id">{request_id}</code>' in response.content.decode()


def test_an_api_500_has_the_error_shape_with_the_request_id(db, failing):
    response = failing.get("/api/v1/boom/")

    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "server_error"
    assert body["request_id"] == response["X-Request-ID"]


def test_the_error_log_line_carries_the_request_id(db, failing, console):
    response = failing.get("/boom/")

    lines = [line for line in console.getvalue().splitlines() if "Internal Server Error: /boom/" in line]
    assert len(lines) == 1
    assert f"[{response['X-Request-ID']}]" in lines[0]


def test_a_sane_request_id_from_the_proxy_is_kept(db, failing):
    response = failing.get("/api/v1/boom/", HTTP_X_REQUEST_ID="7f3c2a9e0b1d4c56")

    assert response["X-Request-ID"] == "7f3c2a9e0b1d4c56"
    assert response.json()["request_id"] == "7f3c2a9e0b1d4c56"


@pytest.mark.parametrize("given", ["", "a b", "x" * 200, "id\n2026 ERROR forged line", "<script>"])
def test_a_strange_request_id_from_the_client_is_replaced(db, client, given):
    response = client.get("/login/", HTTP_X_REQUEST_ID=given)

    assert response["X-Request-ID"] != given
    assert response["X-Request-ID"].isalnum()
