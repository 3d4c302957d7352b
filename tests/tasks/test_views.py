"""The placeholder home page: signed in, it shows the campaign and its task counts for my region only."""

import re

from django.urls import reverse

from tests.factories import days


def figure(response, name: str) -> int:
    return int(re.search(rf'data-figure="{name}">(\d+)<', response.content.decode()).group(1))


def test_anonymous_visitor_is_sent_to_the_login_page(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_page_is_chinese_by_default(client, db):
    response = client.get(reverse("login"))
    assert "登录" in response.content.decode()
    assert response.headers["Content-Language"] == "zh-hans"


def test_login_page_in_english_on_request(client, db):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.headers["Content-Language"] == "en"
    assert "Sign in" in response.content.decode()


def test_home_counts_the_campaigns_tasks(client, world, django_assert_max_num_queries):
    world.task(deadline=days(-1), start_date=days(-9))
    world.task(deadline=days(2))
    world.task(deadline=days(30), lead_unit=world.yingji)
    client.force_login(world.wanan_official)
    response = client.get(reverse("home"))
    assert "洪洞县冬季行动" in response.content.decode()
    assert figure(response, "total") == 3
    assert figure(response, "overdue") == 1
    assert figure(response, "due_soon") == 1


def test_home_of_another_countys_official_shows_none_of_it(client, world):
    world.task()
    client.force_login(world.other_official)
    response = client.get(reverse("home"))
    assert "洪洞县冬季行动" not in response.content.decode()


def test_home_runs_a_fixed_number_of_queries(client, world, django_assert_num_queries):
    client.force_login(world.wanan_official)
    world.task()
    client.get(reverse("home"))  # warm the session
    with django_assert_num_queries(
        8
    ) as few:  # session, user, region, nav campaigns ×2, counts, campaigns, mine
        client.get(reverse("home"))
    for n in range(8):
        world.task(title=f"任务{n}")
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(reverse("home"))
