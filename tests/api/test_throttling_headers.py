"""X-RateLimit-Limit/-Remaining/-Reset on API responses, from the throttle that applies; a 304 costs
nothing; a 429 still says when to come back."""

import pytest
from django.core.cache import cache

ME = "/api/v1/me/"


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()


@pytest.fixture
def token(db, world):
    from tasks import services

    _row, plain = services.token_create(user=world.wanan_official, by=world.wanan_official, name="脚本")
    return plain


def budget(response) -> tuple[int, int, int]:
    return (
        int(response["X-RateLimit-Limit"]),
        int(response["X-RateLimit-Remaining"]),
        int(response["X-RateLimit-Reset"]),
    )


def test_an_api_answer_tells_the_script_its_budget(world, api, settings, token):
    settings.API_RATES = {**settings.API_RATES, "token": "5/minute"}
    client = api(token=token)

    first, second = client.get(ME), client.get(ME)

    assert budget(first) == (5, 4, 60)
    assert budget(second)[:2] == (5, 3)


def test_a_browser_session_sees_its_own_budget_not_the_tokens(world, api, settings):
    settings.API_RATES = {**settings.API_RATES, "token": "5/minute", "user": "7/hour"}

    response = api(world.wanan_official).get(ME)

    assert budget(response) == (7, 6, 3600)


def test_a_not_modified_answer_does_not_use_up_the_budget(world, api, settings, token):
    settings.API_RATES = {**settings.API_RATES, "token": "2/minute"}
    task = world.task()
    client = api(token=token)
    first = client.get(f"/api/v1/tasks/{task.pk}/")

    again = [client.get(f"/api/v1/tasks/{task.pk}/", HTTP_IF_NONE_MATCH=first["ETag"]) for _ in range(3)]

    assert [r.status_code for r in again] == [304, 304, 304]
    assert [budget(r)[1] for r in again] == [1, 1, 1]
    assert client.get(f"/api/v1/tasks/{task.pk}/").status_code == 200


def test_a_throttled_answer_has_no_budget_left_and_a_retry_after(world, api, settings, token):
    settings.API_RATES = {**settings.API_RATES, "token": "1/minute"}
    client = api(token=token)
    client.get(ME)

    response = client.get(ME)

    assert response.status_code == 429
    assert budget(response)[:2] == (1, 0)
    assert 0 < budget(response)[2] <= 60
    assert int(response["Retry-After"]) > 0


def test_pages_carry_no_rate_limit_headers(world, client):
    client.force_login(world.wanan_official)

    response = client.get("/")

    assert response.status_code == 200
    assert "X-RateLimit-Limit" not in response
