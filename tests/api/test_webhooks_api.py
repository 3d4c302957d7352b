"""The office's outbound webhooks over HTTP (/api/v1/webhooks/): anonymous (401), other roles (403),
another county's endpoint (404), and the office registering, changing, re-keying and removing its own."""

import pytest
from django.core.cache import cache

from supervision import services
from supervision.models import WebhookEndpoint

WEBHOOKS = "/api/v1/webhooks/"
RECEIVER = "http://127.0.0.1:9/hooks/winteraction"


@pytest.fixture(autouse=True)
def _fresh_throttle_counts(settings):
    cache.clear()
    settings.WEBHOOK_TEST_HOSTS = ["127.0.0.1:9"]  # registered, never called in these tests


@pytest.fixture
def endpoint(world):
    return services.webhook_create(by=world.office, url=RECEIVER, events=["task.created"])


def test_anonymous_callers_are_refused(api, db):
    assert api().get(WEBHOOKS).status_code == 401


def test_a_unit_official_may_neither_list_nor_register_webhooks(api, world, endpoint):
    client = api(world.wanan_official)
    assert client.get(WEBHOOKS).status_code == 403
    assert client.get(f"{WEBHOOKS}{endpoint.pk}/").status_code == 403
    assert (
        client.post(WEBHOOKS, {"url": RECEIVER, "events": ["task.created"]}, format="json").status_code == 403
    )
    assert WebhookEndpoint.objects.count() == 1


def test_the_office_registers_an_endpoint_for_its_region_and_gets_its_secret(api, world):
    response = api(world.office).post(
        WEBHOOKS, {"url": RECEIVER, "events": ["task.created", "order.issued"]}, format="json"
    )
    assert response.status_code == 201, response.content
    endpoint = WebhookEndpoint.objects.get()
    assert response.json()["secret"] == endpoint.secret
    assert response.json()["secret"].startswith("whsec_")
    assert response.json()["region"]["id"] == world.county.pk
    assert endpoint.events == ["task.created", "order.issued"]


def test_an_address_outside_the_allowlist_or_into_the_intranet_is_refused(api, world, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["10.0.0.8"]
    client = api(world.office)
    for url in ("https://10.0.0.8/in", "https://example.com/in", "http://127.0.0.1:10/in"):
        response = client.post(WEBHOOKS, {"url": url, "events": ["task.created"]}, format="json")
        assert response.status_code == 400, url
    assert not WebhookEndpoint.objects.exists()


def test_an_unknown_event_is_refused(api, world):
    response = api(world.office).post(WEBHOOKS, {"url": RECEIVER, "events": ["task.deleted"]}, format="json")
    assert response.status_code == 400
    assert not WebhookEndpoint.objects.exists()


def test_another_countys_endpoint_is_not_found(api, world, endpoint):
    client = api(world.other_office)
    assert client.get(WEBHOOKS).json()["results"] == []
    assert client.get(f"{WEBHOOKS}{endpoint.pk}/").status_code == 404
    assert client.patch(f"{WEBHOOKS}{endpoint.pk}/", {"enabled": False}, format="json").status_code == 404
    assert client.post(f"{WEBHOOKS}{endpoint.pk}/rotate-secret/").status_code == 404
    assert client.delete(f"{WEBHOOKS}{endpoint.pk}/").status_code == 404
    assert WebhookEndpoint.objects.get().enabled


def test_the_city_office_sees_its_countys_endpoint(api, world, endpoint):
    assert [row["id"] for row in api(world.city_office).get(WEBHOOKS).json()["results"]] == [endpoint.pk]


def test_the_office_changes_the_events_and_turns_the_endpoint_off(api, world, endpoint):
    response = api(world.office).patch(
        f"{WEBHOOKS}{endpoint.pk}/", {"events": ["task.closed"], "enabled": False}, format="json"
    )
    assert response.status_code == 200, response.content
    endpoint.refresh_from_db()
    assert (endpoint.events, endpoint.enabled) == (["task.closed"], False)


def test_a_new_secret_replaces_the_old_one(api, world, endpoint):
    response = api(world.office).post(f"{WEBHOOKS}{endpoint.pk}/rotate-secret/")
    assert response.status_code == 200
    assert response.json()["secret"] != endpoint.secret
    assert WebhookEndpoint.objects.get().secret == response.json()["secret"]


def test_the_office_removes_its_endpoint(api, world, endpoint):
    assert api(world.office).delete(f"{WEBHOOKS}{endpoint.pk}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()
