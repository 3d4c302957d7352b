"""The benchmark's minimal views (tests/benchmarks/minimal.py) give our answers, for every kind of viewer:
the comparison with the framework ceiling stays honest only while they do. The same for the reminder
scan written by hand: the same notifications, inbox items and deliveries as supervision.reminders.scan."""

import datetime
import json

import pytest
from django.db import transaction

from supervision import reminders, workdays
from tasks import services

from . import minimal

pytestmark = [pytest.mark.urls("tests.benchmarks.urls"), pytest.mark.postgres]


@pytest.fixture
def ask(postgres, client):
    """ask(user, path) → (status, JSON) of ours under /api/v1/ and of the minimal view under /bench/min/."""
    tokens = {}

    def get(user, path):
        if user.pk not in tokens:
            tokens[user.pk] = services.token_create(user=user, by=user, name="基准对照")[1]
        answers = []
        for prefix in ("/api/v1/", "/bench/min/"):
            client.cookies.clear()
            response = client.get(prefix + path, HTTP_AUTHORIZATION=f"Token {tokens[user.pk]}")
            body = response.content.decode().replace("/bench/min/", "/api/v1/")
            answers.append((response.status_code, json.loads(body) if response.status_code == 200 else None))
        return answers

    return get


def viewers(w, story):
    """A county office, a township official, the city office, an inspector whose group covers the county,
    an office whose group covers only one special action in it, an office in a department with groups,
    a superuser."""
    admin = services.person_create(by=None, username="admin", unit=None, role="office", is_superuser=True)
    return [w.office, w.wanan_official, w.city_office, w.inspector, w.other_office, story.duty, admin]


@pytest.mark.parametrize("path", ["dashboard/summary/", "dashboard/ranking/"])
def test_dashboard_answers_are_ours(world, story, ask, path):
    for viewer in viewers(world, story):
        ours, mine = ask(viewer, path)
        assert ours[0] == 200
        assert mine == ours, viewer.username


def test_task_list_pages_are_ours(world, story, ask):
    county = world.county.pk
    paths = [
        "tasks/",
        "tasks/?page_size=5&page=2",
        f"tasks/?county={county}&overdue=true&ordering=deadline&page_size=50",
        f"tasks/?county={county}&overdue=true&ordering=deadline&page_size=2&page=2",
        f"tasks/?county={world.wanan.pk}&overdue=false&page_size=3&page=2",
        "tasks/?overdue=true&page_size=2&page=99",
    ]
    for viewer in viewers(world, story):
        for path in paths:
            ours, mine = ask(viewer, path)
            assert mine == ours, (viewer.username, path)


def test_sync_pages_are_ours(world, story, ask, time_machine):
    time_machine.shift(60)  # past the settle time
    for viewer in viewers(world, story):
        ours, mine = ask(viewer, "tasks/?sync=true&page_size=4")
        assert mine == ours, viewer.username
        cursor = ours[1]["next"].split("cursor=")[1].split("&")[0]
        ours, mine = ask(viewer, f"tasks/?cursor={cursor}&page_size=4")
        assert mine == ours, viewer.username


def test_task_detail_is_ours_in_scope_and_out(world, story, ask):
    for viewer in viewers(world, story):
        for task in (story.waiting, story.on_time, story.parent, story.other):
            ours, mine = ask(viewer, f"tasks/{task.pk}/")
            assert mine == ours, (viewer.username, task.title)


def test_the_scan_by_hand_makes_our_rows(world, story, postgres):
    day = story.today
    while not workdays.is_working_day(day):
        day += datetime.timedelta(days=1)

    def scan(run):
        with transaction.atomic():
            first = run()
            again = run()
            rows = minimal.scan_digest(day)
            transaction.set_rollback(True)
        return first, again, rows

    ours = scan(lambda: reminders.scan(day, publish=False)["notifications"])
    by_hand = scan(lambda: minimal.scan_by_hand(day))

    notifications, inbox_items, deliveries = (count for count, _digest in ours[2])
    assert notifications == ours[0]
    assert ours[0] > 10 and inbox_items > 10 and deliveries > 3
    assert by_hand == ours
    assert ours[1] == 0
