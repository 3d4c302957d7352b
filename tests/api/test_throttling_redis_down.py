"""The API while the throttles' Redis is down or hangs: requests go through unthrottled, fast, with a
warning in the log, and a circuit breaker keeps the dead Redis out of the following requests."""

import socket
import threading
import time

import pytest
from rest_framework.test import APIClient

from winteraction import config
from winteraction.api.throttling import breaker

ME = "/api/v1/me/"
TASKS = "/api/v1/tasks/"
LOGIN = "/api/v1/auth/token/"


class SilentServer:
    """Accepts connections on 127.0.0.1 and never answers: a Redis that hangs."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.accepted:
            conn.close()


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def _closed_breaker():
    breaker.reset()
    yield
    breaker.reset()


@pytest.fixture
def silent_redis():
    server = SilentServer()
    yield server
    server.close()


def use_redis(settings, url: str) -> None:
    """The throttles' cache as production configures it (config.caches), at `url`."""
    settings.CACHES = config.caches(url, timeout_ms=settings.CACHE_TIMEOUT_MS)


def timed(call):
    start = time.monotonic()
    response = call()
    return response, time.monotonic() - start


@pytest.mark.parametrize("where", ["closed port", "silent server"])
def test_api_reads_answer_quickly_while_redis_is_unreachable(world, api, settings, where, request):
    port = closed_port() if where == "closed port" else request.getfixturevalue("silent_redis").port
    client = api(world.office)
    client.get(TASKS)  # warm: the first request of a process pays for its imports
    use_redis(settings, f"redis://127.0.0.1:{port}/0")

    response, seconds = timed(lambda: client.get(TASKS))

    assert response.status_code == 200
    assert seconds < 1


@pytest.mark.parametrize("where", ["closed port", "silent server"])
def test_token_sign_in_works_while_redis_is_unreachable(world, settings, where, request):
    port = closed_port() if where == "closed port" else request.getfixturevalue("silent_redis").port
    sign_in = {"username": "wanan", "password": "winteraction"}
    APIClient().post(LOGIN, sign_in, format="json")  # warm: the first request pays for its imports
    use_redis(settings, f"redis://127.0.0.1:{port}/0")

    response, seconds = timed(lambda: APIClient().post(LOGIN, sign_in, format="json"))

    assert response.status_code == 201
    assert response.data["token"].startswith("wa_")
    assert seconds < 1


def test_a_hanging_redis_costs_one_timeout_then_none_while_the_breaker_is_open(
    world, api, settings, silent_redis
):
    use_redis(settings, f"redis://127.0.0.1:{silent_redis.port}/0")
    client = api(world.office)
    client.get(ME)  # pays the one timeout and opens the breaker

    statuses = [client.get(ME).status_code for _ in range(5)]

    assert statuses == [200] * 5
    assert len(silent_redis.accepted) == 1  # each request that asked Redis would have connected anew


def test_the_outage_is_logged_once_as_a_warning(world, api, settings, caplog):
    use_redis(settings, f"redis://127.0.0.1:{closed_port()}/0")
    client = api(world.office)

    for _ in range(3):
        client.get(ME)

    warnings = [r for r in caplog.records if r.name == "winteraction.api.throttling"]
    assert [r.levelname for r in warnings] == ["WARNING"]
    assert "not throttled" in warnings[0].getMessage()


def test_throttling_resumes_when_redis_is_back_and_the_breaker_closes(world, api, settings, redis_url):
    from django.core.cache import cache

    use_redis(settings, f"redis://127.0.0.1:{closed_port()}/0")
    settings.API_RATES = {**settings.API_RATES, "user": "2/minute"}
    client = api(world.office)
    client.get(ME)  # Redis down: the breaker opens
    use_redis(settings, redis_url)
    key = f"throttle_user_{world.office.pk}"
    cache.delete(key)

    breaker.reset()  # as THROTTLE_BREAKER_SECONDS later
    statuses = [client.get(ME).status_code for _ in range(3)]
    cache.delete(key)

    assert statuses == [200, 200, 429]
