"""The sync cursor over HTTP: a client walks every task in (updated_at, id) order, follows `next`
while rows change under it, resumes later with exactly the changes since, and never sees a row
whose transaction may still be committing (the settle window)."""

import base64
import datetime

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tasks import services
from tasks.models import Task

TASKS = "/api/v1/tasks/"
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
T = datetime.datetime(2026, 12, 10, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()


@pytest.fixture(autouse=True)
def _settle_two_seconds(settings):
    settings.API_SYNC_SETTLE_SECONDS = 2


@pytest.fixture
def office_client(world):
    client = APIClient()
    client.force_login(world.office)
    return client


def at(seconds: float) -> datetime.datetime:
    return T + datetime.timedelta(seconds=seconds)


@pytest.fixture
def tasks_made_one_a_second(world, time_machine):
    """Seven tasks, the n-th created at T + n seconds (so updated_at orders them)."""
    made = []
    for n in range(7):
        time_machine.move_to(at(n), tick=False)
        made.append(world.task(title=f"任务{n}"))
    return made


def rename(world, task: Task, title: str) -> None:
    services.task_update(task=task, by=world.office, title=title)


def walk(client, first_url: str, params=None, between_pages=None) -> tuple[list[dict], str]:
    """Follow `next` until it is null; return every row seen and the final `resume` cursor."""
    response = client.get(first_url, params)
    assert response.status_code == 200, response.data
    rows, pages = list(response.data["results"]), 1
    while response.data["next"]:
        if between_pages:
            between_pages(pages)
        response = client.get(response.data["next"])
        assert response.status_code == 200, response.data
        rows += response.data["results"]
        pages += 1
    return rows, response.data["resume"]


# ---- Walking all rows ---------------------------------------------------------------------------------


def test_sync_walks_every_task_in_updated_order(world, office_client, tasks_made_one_a_second, time_machine):
    time_machine.move_to(at(60), tick=False)

    rows, _resume = walk(office_client, TASKS, {"sync": "true", "page_size": 3})

    assert [row["id"] for row in rows] == [task.pk for task in tasks_made_one_a_second]


def test_sync_pages_hold_page_size_rows_and_the_last_next_is_null(
    world, office_client, tasks_made_one_a_second, time_machine
):
    time_machine.move_to(at(60), tick=False)
    client = office_client

    first = client.get(TASKS, {"sync": "true", "page_size": 3})
    second = client.get(first.data["next"])
    third = client.get(second.data["next"])

    assert [len(page.data["results"]) for page in (first, second, third)] == [3, 3, 1]
    assert third.data["next"] is None
    assert "count" not in first.data


def test_rows_with_the_same_timestamp_are_ordered_by_id_and_none_is_skipped(
    world, office_client, time_machine
):
    time_machine.move_to(T, tick=False)
    made = [world.task(title=f"同一时刻{n}") for n in range(5)]
    time_machine.move_to(at(60), tick=False)

    rows, _resume = walk(office_client, TASKS, {"sync": "true", "page_size": 2})

    assert [row["id"] for row in rows] == [task.pk for task in made]


def test_sync_keeps_the_callers_scope(world, office_client, tasks_made_one_a_second, time_machine):
    time_machine.move_to(at(30), tick=False)
    campaign = services.campaign_create(
        owner=world.other_county,
        name="尧都区冬季行动",
        code="YD",
        start_date=T.date(),
        end_date=T.date(),
        by=world.other_office,
    )
    action = services.special_action_create(
        campaign=campaign, name="安全生产", code="AQ", by=world.other_office
    )
    services.task_create(
        campaign=campaign,
        special_action=action,
        title="屯里镇燃气排查",
        lead_unit=world.other_town,
        deadline=T.date(),
        by=world.other_office,
    )
    time_machine.move_to(at(60), tick=False)

    rows, _resume = walk(office_client, TASKS, {"sync": "true", "page_size": 3})

    assert {row["id"] for row in rows} == {task.pk for task in tasks_made_one_a_second}


def test_sync_applies_the_list_filters(world, office_client, tasks_made_one_a_second, time_machine):
    time_machine.move_to(at(60), tick=False)

    rows, _resume = walk(office_client, TASKS, {"sync": "true", "page_size": 3, "search": "任务3"})

    assert [row["id"] for row in rows] == [tasks_made_one_a_second[3].pk]


# ---- Rows changing during the walk ---------------------------------------------------------------------


def test_walk_while_tasks_change_sees_every_task_and_each_ones_latest_version(
    world, office_client, tasks_made_one_a_second, time_machine
):
    made = tasks_made_one_a_second
    time_machine.move_to(at(60), tick=False)

    def change_some(pages_seen: int) -> None:
        # After page 1 (tasks 0-2): rename one already seen and one not yet seen.
        if pages_seen == 1:
            time_machine.move_to(at(61), tick=False)
            rename(world, made[0], "任务0(已改)")
            rename(world, made[5], "任务5(已改)")
            time_machine.move_to(at(70), tick=False)

    rows, _resume = walk(office_client, TASKS, {"sync": "true", "page_size": 3}, between_pages=change_some)

    latest = {}
    for row in rows:
        latest[row["id"]] = row["title"]
    assert latest == {task.pk: Task.objects.get(pk=task.pk).title for task in made}
    assert latest[made[0].pk] == "任务0(已改)"
    assert latest[made[5].pk] == "任务5(已改)"


def test_task_changed_during_the_walk_comes_again_after_the_unchanged_ones(
    world, office_client, tasks_made_one_a_second, time_machine
):
    made = tasks_made_one_a_second
    time_machine.move_to(at(60), tick=False)

    def change_some(pages_seen: int) -> None:
        if pages_seen == 1:
            time_machine.move_to(at(61), tick=False)
            rename(world, made[0], "任务0(已改)")
            rename(world, made[5], "任务5(已改)")
            time_machine.move_to(at(70), tick=False)

    rows, _resume = walk(office_client, TASKS, {"sync": "true", "page_size": 3}, between_pages=change_some)

    order = [task.pk for task in made]
    assert [row["id"] for row in rows] == [*order[:3], order[3], order[4], order[6], order[0], order[5]]


# ---- Resuming later ----------------------------------------------------------------------------------


def test_resume_cursor_returns_nothing_when_nothing_changed(
    world, office_client, tasks_made_one_a_second, time_machine
):
    time_machine.move_to(at(60), tick=False)
    _rows, resume = walk(office_client, TASKS, {"sync": "true", "page_size": 3})

    time_machine.move_to(at(3600), tick=False)
    response = office_client.get(TASKS, {"cursor": resume})

    assert response.status_code == 200
    assert response.data["results"] == []
    assert response.data["next"] is None


def test_resume_cursor_returns_exactly_the_tasks_changed_since(
    world, office_client, tasks_made_one_a_second, time_machine
):
    made = tasks_made_one_a_second
    time_machine.move_to(at(60), tick=False)
    _rows, resume = walk(office_client, TASKS, {"sync": "true", "page_size": 3})
    time_machine.move_to(at(100), tick=False)
    rename(world, made[4], "任务4(已改)")
    time_machine.move_to(at(101), tick=False)
    services.progress_report(task=made[1], by=world.wanan_official, percent=30, done="已排查")
    time_machine.move_to(at(200), tick=False)

    rows, _later = walk(office_client, TASKS, {"cursor": resume, "page_size": 3})

    assert [row["id"] for row in rows] == [made[4].pk, made[1].pk]
    assert rows[0]["title"] == "任务4(已改)"
    assert rows[1]["progress"] == 30


def test_resume_cursor_includes_tasks_created_since(
    world, office_client, tasks_made_one_a_second, time_machine
):
    time_machine.move_to(at(60), tick=False)
    _rows, resume = walk(office_client, TASKS, {"sync": "true", "page_size": 3})
    time_machine.move_to(at(100), tick=False)
    new = world.task(title="新下达的任务")
    time_machine.move_to(at(200), tick=False)

    rows, _later = walk(office_client, TASKS, {"cursor": resume})

    assert [row["id"] for row in rows] == [new.pk]


def test_resume_on_an_empty_pull_keeps_the_position(
    world, office_client, tasks_made_one_a_second, time_machine
):
    time_machine.move_to(at(60), tick=False)
    _rows, resume = walk(office_client, TASKS, {"sync": "true", "page_size": 3})
    time_machine.move_to(at(100), tick=False)

    empty = office_client.get(TASKS, {"cursor": resume})

    assert empty.data["resume"] == resume


# ---- updated_since ---------------------------------------------------------------------------------


def test_updated_since_keeps_tasks_changed_at_or_after_the_moment(
    world, office_client, tasks_made_one_a_second, time_machine
):
    made = tasks_made_one_a_second
    time_machine.move_to(at(60), tick=False)

    response = office_client.get(TASKS, {"updated_since": at(4).isoformat()})

    assert {row["id"] for row in response.data["results"]} == {task.pk for task in made[4:]}


def test_sync_can_start_from_updated_since(world, office_client, tasks_made_one_a_second, time_machine):
    made = tasks_made_one_a_second
    time_machine.move_to(at(60), tick=False)

    rows, _resume = walk(
        office_client, TASKS, {"sync": "true", "page_size": 2, "updated_since": at(3).isoformat()}
    )

    assert [row["id"] for row in rows] == [task.pk for task in made[3:]]


# ---- Settle window ---------------------------------------------------------------------------------


def test_task_changed_a_second_ago_is_held_back(world, office_client, time_machine):
    time_machine.move_to(T, tick=False)
    world.task(title="刚下达的任务")

    time_machine.move_to(at(1), tick=False)
    response = office_client.get(TASKS, {"sync": "true"})

    assert response.data["results"] == []


def test_held_back_task_arrives_on_the_next_pull(world, office_client, time_machine):
    time_machine.move_to(T, tick=False)
    task = world.task(title="刚下达的任务")
    time_machine.move_to(at(1), tick=False)
    early = office_client.get(TASKS, {"sync": "true"})

    time_machine.move_to(at(3), tick=False)
    later = office_client.get(TASKS, {"sync": "true"})

    assert (early.data["results"], early.data["resume"]) == ([], None)
    assert [row["id"] for row in later.data["results"]] == [task.pk]


def test_change_within_the_settle_window_is_delivered_after_it(
    world, office_client, tasks_made_one_a_second, time_machine
):
    made = tasks_made_one_a_second
    time_machine.move_to(at(60), tick=False)
    _rows, resume = walk(office_client, TASKS, {"sync": "true"})
    rename(world, made[2], "任务2(已改)")

    time_machine.move_to(at(61), tick=False)
    too_soon = office_client.get(TASKS, {"cursor": resume})
    time_machine.move_to(at(63), tick=False)
    settled = office_client.get(TASKS, {"cursor": resume})

    assert too_soon.data["results"] == []
    assert [row["title"] for row in settled.data["results"]] == ["任务2(已改)"]


def test_plain_list_is_not_held_back(world, office_client, time_machine):
    time_machine.move_to(T, tick=False)
    task = world.task(title="刚下达的任务")

    time_machine.move_to(at(1), tick=False)
    response = office_client.get(TASKS)

    assert [row["id"] for row in response.data["results"]] == [task.pk]


# ---- Bad cursors -----------------------------------------------------------------------------------


def cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor!!",
        "%%%",
        cursor_of("yesterday|12"),
        cursor_of("2026-12-10T09:00:00|12"),  # no time zone
        cursor_of("2026-12-10T09:00:00+08:00|twelve"),
        cursor_of("2026-12-10T09:00:00+08:00"),
        cursor_of("2026-13-45T09:00:00+08:00|12"),
        "\u51ac\u5b63",
    ],
)
def test_malformed_cursor_is_a_400_with_the_error_shape(world, office_client, cursor):
    response = office_client.get(TASKS, {"cursor": cursor})

    assert response.status_code == 400
    assert set(response.data) == {"code", "detail", "fields"}
    assert "cursor" in response.data["fields"]


def test_cursor_with_an_out_of_range_id_is_not_a_server_error(world, office_client, time_machine):
    time_machine.move_to(at(60), tick=False)

    response = office_client.get(TASKS, {"cursor": cursor_of(f"{T.isoformat()}|{10**30}")})

    assert response.status_code == 200


# ---- A copy kept by deltas is a fresh copy ----------------------------------------------------------


def pull(client, cursor: str | None = None) -> tuple[dict[int, dict], str]:
    """A full sync (no cursor) or the delta since `cursor`, as {id: row}, with the new resume cursor."""
    params = {"cursor": cursor} if cursor else {"sync": "true"}
    rows, resume = walk(client, TASKS, {**params, "page_size": 3})
    return {row["id"]: row for row in rows}, resume


@pytest.fixture
def family(world, time_machine):
    """A task with two subtasks, a task with a cooperating unit and its leader, and one that nothing
    will change, made at T."""
    time_machine.move_to(T, tick=False)
    dates = {"start_date": datetime.date(2026, 12, 1), "deadline": datetime.date(2026, 12, 11)}
    roads = services.special_action_create(
        campaign=world.campaign, name="道路交通专项行动", code="JT", by=world.office
    )
    parent = world.task(title="煤矿隐患排查", **dates)
    return {
        "parent": parent,
        "first": world.task(title="井下排查", parent=parent, **dates),
        "second": world.task(title="地面排查", parent=parent, **dates),
        "other": world.task(
            title="森林防火",
            cooperating_units=[world.shanmu],
            responsible_leader=world.leader,
            start_date=datetime.date(2026, 12, 1),
            deadline=datetime.date(2026, 12, 20),
        ),
        "quiet": world.task(title="道路结冰巡查", lead_unit=world.yingji, special_action=roads, **dates),
    }


def test_copy_kept_by_deltas_across_a_day_and_subtask_reports_equals_a_fresh_full_sync(
    world, office_client, family, time_machine
):
    time_machine.move_to(at(60), tick=False)
    copy, resume = pull(office_client)

    def apply(cursor: str) -> str:
        delta, resume = pull(office_client, cursor)
        copy.update(delta)
        return resume

    time_machine.move_to(at(120), tick=False)
    services.progress_report(task=family["first"], by=world.wanan_official, percent=60, done="已排查6处")
    time_machine.move_to(at(180), tick=False)
    resume = apply(resume)
    # The next day: the parent's deadline (12-11) has passed; more writes that change what tasks show.
    time_machine.move_to(datetime.datetime(2026, 12, 12, 8, 0, tzinfo=SHANGHAI), tick=False)
    resume = apply(resume)
    services.task_request_close(task=family["first"], by=world.wanan_official)
    services.task_cancel(task=family["second"], by=world.office, reason="并入井下排查")
    world.task(title="设备排查", parent=family["parent"], deadline=datetime.date(2026, 12, 30))
    services.special_action_update(special_action=world.safety, by=world.office, name="安全生产大检查")
    services.unit_update(
        unit=world.shanmu, by=world.office, name="山目镇", full_name="", aliases="", sort_order=0
    )
    world.leader.position = "县委书记"
    services.person_update(person=world.leader, by=world.office, changed=["position"])
    time_machine.move_to(datetime.datetime(2026, 12, 12, 8, 1, tzinfo=SHANGHAI), tick=False)
    apply(resume)

    fresh, _resume = pull(office_client)

    assert copy == fresh


def test_subtask_report_brings_its_parent_in_the_delta(world, office_client, family, time_machine):
    time_machine.move_to(at(60), tick=False)
    _copy, resume = pull(office_client)
    time_machine.move_to(at(120), tick=False)
    services.progress_report(task=family["first"], by=world.wanan_official, percent=60, done="已排查6处")
    time_machine.move_to(at(180), tick=False)

    delta, _resume = pull(office_client, resume)

    assert set(delta) == {family["first"].pk, family["parent"].pk}
    assert delta[family["parent"].pk]["rollup_progress"] == 30.0


def test_first_pull_of_a_new_day_carries_every_task_then_only_changes(
    world, office_client, family, time_machine
):
    time_machine.move_to(at(60), tick=False)
    _copy, resume = pull(office_client)
    time_machine.move_to(datetime.datetime(2026, 12, 11, 0, 0, 5, tzinfo=SHANGHAI), tick=False)

    new_day, resume = pull(office_client, resume)
    time_machine.move_to(datetime.datetime(2026, 12, 11, 9, 0, tzinfo=SHANGHAI), tick=False)
    same_day, _resume = pull(office_client, resume)

    assert set(new_day) == {task.pk for task in family.values()}
    assert new_day[family["parent"].pk]["days_left"] == 0
    assert same_day == {}
