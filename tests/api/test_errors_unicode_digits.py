"""Numbers in URLs are ASCII digits: "①", "²" or "١" (which `str.isdigit()` or `int()` accept) are a
400 on the API and the default on pages, never a 500."""

import pytest
from django.core.cache import cache

ODD_DIGITS = ["①", "²", "١٢"]


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()


@pytest.mark.parametrize("value", ODD_DIGITS)
def test_api_page_size_in_odd_digits_is_a_400_naming_it(world, api, value):
    response = api(world.office).get("/api/v1/tasks/", {"page_size": value})

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"page_size"}


@pytest.mark.parametrize("param", ["campaign", "lead_unit", "county", "parent"])
def test_api_id_filter_in_odd_digits_is_a_400_naming_it(world, api, param):
    world.task()

    response = api(world.office).get("/api/v1/tasks/", {param: "١"})

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {param}


@pytest.mark.parametrize(
    "path",
    [
        "/tasks/?campaign=①",
        "/office/calendar/?year=①",
        "/office/calendar/?year=²⁰²⁶",
    ],
)
def test_pages_ignore_a_number_in_odd_digits(world, client, path):
    client.force_login(world.office)

    response = client.get(path)

    assert response.status_code == 200


def test_a_whole_number_is_ascii_digits_only():
    from winteraction.parsing import whole_number

    assert [whole_number(v) for v in ["0", "42", "①", "١", "-1", "", None, "9" * 19]] == [
        0,
        42,
        None,
        None,
        None,
        None,
        None,
        None,
    ]


def test_api_number_filter_in_odd_digits_is_a_400_naming_it(world, api):
    response = api(world.office).get("/api/v1/bulletins/", {"year": "٢٠٢٦"})

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"year"}
