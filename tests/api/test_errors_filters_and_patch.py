"""An id filter answers the same for a row in another county as for no row at all (an empty list, so
ids cannot be probed), and a PATCH that could change nothing says which fields it cannot take."""

import pytest
from django.core.cache import cache

from tasks import services

TASKS = "/api/v1/tasks/"


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()


@pytest.fixture
def other_campaign(world):
    return services.campaign_create(
        owner=world.other_county,
        name="尧都区冬季行动",
        code="YD",
        start_date=world.campaign.start_date,
        end_date=world.campaign.end_date,
        by=world.other_office,
    )


def test_another_countys_campaign_and_a_missing_one_answer_alike(world, api, other_campaign):
    world.task()
    client = api(world.wanan_official)

    theirs = client.get(TASKS, {"campaign": other_campaign.pk})
    missing = client.get(TASKS, {"campaign": other_campaign.pk + 1000})

    assert (theirs.status_code, theirs.json()["count"]) == (200, 0)
    assert (missing.status_code, missing.json()["count"]) == (200, 0)


def test_a_missing_unit_filter_gives_an_empty_list_not_a_400(world, api):
    world.task()

    response = api(world.office).get(TASKS, {"lead_unit": 987654})

    assert (response.status_code, response.json()["count"]) == (200, 0)


def test_a_filter_that_is_not_an_id_is_still_a_400(world, api):
    response = api(world.office).get(TASKS, {"campaign": "hd"})

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"campaign"}


def test_patch_with_only_read_only_fields_is_a_400_naming_them(world, api):
    task = world.task()

    response = api(world.office).patch(
        f"{TASKS}{task.pk}/", {"status": "closed", "progress": 100}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"status", "progress"}
    task.refresh_from_db()
    assert task.status != "closed"


def test_patch_with_a_writable_field_beside_read_only_ones_still_works(world, api):
    task = world.task()

    response = api(world.office).patch(
        f"{TASKS}{task.pk}/", {"title": "新的任务名称", "status": "closed"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["title"] == "新的任务名称"
