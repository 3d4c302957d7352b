"""REST API: my messages (/api/v1/notifications/) and chasing by hand (/api/v1/…/{id}/chase/)."""

import pytest

from supervision import services
from supervision.models import InboxItem, Notification, OrderEvent, OrderEventKind, ReminderRule
from tasks import services as task_services
from tasks.models import EventKind, TaskEvent
from tests.factories import days
from tests.reminders.conftest import clear_handoffs

LIST = "/api/v1/notifications/"


@pytest.fixture
def make_token(db):
    def make(user, *, read_only=False) -> str:
        _token, plain = task_services.token_create(user=user, by=user, name="测试令牌", read_only=read_only)
        return plain

    return make


def chase(world, task, n=1):
    return [services.chase_task(task=task, by=world.office, note=f"第{i}次") for i in range(n)]


def order(world):
    issued = services.order_issue(
        group=world.group,
        by=world.inspector,
        unit=world.wanan,
        problem="台账缺失",
        requirement="补齐",
        deadline=days(7),
    )
    clear_handoffs()
    return issued


# ---- My messages ---------------------------------------------------------------------------------------


def test_anonymous_callers_are_asked_to_sign_in(api, db):
    assert api().get(LIST).status_code == 401
    assert api().post(f"{LIST}read-all/").status_code == 401


def test_i_list_my_own_messages_newest_first(api, world):
    task = world.task()
    first, second = chase(world, task, 2)
    body = api(world.wanan_official).get(LIST).json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [second.pk, first.pk]
    row = body["results"][0]
    assert row["rule"] == ReminderRule.CHASE and row["unread"] is True and row["read_at"] is None
    assert row["title"] == f"【催办】{task.title}" and row["note"] == "第1次"
    assert row["task"] == task.pk and row["url"].endswith(f"/tasks/{task.pk}/")


def test_nobody_else_sees_my_messages(api, world):
    (notification,) = chase(world, world.task())
    other = api(world.shanmu_official)
    assert other.get(LIST).json()["count"] == 0
    assert other.get(f"{LIST}{notification.pk}/").status_code == 404
    assert other.post(f"{LIST}{notification.pk}/read/").status_code == 404
    assert InboxItem.objects.get(notification=notification).read_at is None


def test_the_unread_filter(api, world):
    first, second = chase(world, world.task(), 2)
    client = api(world.wanan_official)
    client.post(f"{LIST}{first.pk}/read/")
    assert [row["id"] for row in client.get(LIST, {"unread": "true"}).json()["results"]] == [second.pk]
    assert [row["id"] for row in client.get(LIST, {"unread": "false"}).json()["results"]] == [first.pk]
    assert client.get(LIST, {"unread": "maybe"}).status_code == 400


def test_marking_one_read(api, world):
    (notification,) = chase(world, world.task())
    response = api(world.wanan_official).post(f"{LIST}{notification.pk}/read/")
    assert response.status_code == 200
    assert response.json()["unread"] is False and response.json()["read_at"]
    assert InboxItem.objects.get(notification=notification).read_at is not None


def test_marking_all_read(api, world):
    chase(world, world.task(), 3)
    client = api(world.wanan_official)
    assert client.post(f"{LIST}read-all/").json() == {"marked": 3}
    assert client.post(f"{LIST}read-all/").json() == {"marked": 0}
    assert client.get(LIST, {"unread": "true"}).json()["count"] == 0


def test_a_read_only_token_may_list_but_not_mark(api, world, make_token):
    (notification,) = chase(world, world.task())
    client = api(token=make_token(world.wanan_official, read_only=True))
    assert client.get(LIST).json()["count"] == 1
    assert client.post(f"{LIST}{notification.pk}/read/").status_code == 403
    assert client.post(f"{LIST}read-all/").status_code == 403
    assert InboxItem.objects.get(notification=notification).read_at is None


def test_a_token_may_mark_read(api, world, make_token):
    (notification,) = chase(world, world.task())
    client = api(token=make_token(world.wanan_official))
    assert client.post(f"{LIST}{notification.pk}/read/").status_code == 200


# ---- Chasing a task --------------------------------------------------------------------------------------


def chase_task_url(task):
    return f"/api/v1/tasks/{task.pk}/chase/"


@pytest.mark.parametrize("who", ["office", "inspector", "city_office"])
def test_the_office_and_inspectors_in_scope_chase_a_task(api, world, who):
    task = world.task()
    response = api(getattr(world, who)).post(chase_task_url(task), {"note": "请加快进度"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["rule"] == ReminderRule.CHASE and body["task"] == task.pk
    assert body["unit"]["id"] == world.wanan.pk and body["note"] == "请加快进度"
    assert body["title"] == f"【催办】{task.title}"
    assert TaskEvent.objects.filter(task=task, kind=EventKind.CHASED, note="请加快进度").exists()
    assert InboxItem.objects.filter(notification_id=body["id"], person=world.wanan_official).exists()


def test_the_note_is_optional(api, world):
    task = world.task()
    assert api(world.office).post(chase_task_url(task), {}, format="json").status_code == 201


def test_a_unit_official_may_not_chase(api, world):
    task = world.task()
    response = api(world.wanan_official).post(chase_task_url(task), {"note": "催"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Notification.objects.exists()


def test_another_countys_office_gets_404(api, world):
    task = world.task()
    assert api(world.other_office).post(chase_task_url(task), {}, format="json").status_code == 404
    assert not Notification.objects.exists()


def test_a_task_awaiting_close_out_is_a_409(api, world):
    task = world.task()
    task_services.progress_report(task=task, by=world.wanan_official, percent=50, done="已排查一半")
    task_services.task_request_close(task=task, by=world.wanan_official)
    response = api(world.office).post(chase_task_url(task), {}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    assert not Notification.objects.exists()


def test_a_note_must_be_text(api, world):
    task = world.task()
    assert api(world.office).post(chase_task_url(task), {"note": 12}, format="json").status_code == 400


def test_a_chase_reaches_the_cooperating_units_the_chaser_picks(api, world):
    task = world.task(cooperating_units=[world.shanmu])
    response = api(world.office).post(
        chase_task_url(task), {"note": "请配合推进", "cooperating_units": [world.shanmu.pk]}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["unit"]["id"] == world.wanan.pk  # the answer is the lead unit's notification
    assert InboxItem.objects.filter(
        notification__rule=ReminderRule.CHASE, notification__task=task, person=world.shanmu_official
    ).exists()


def test_a_chase_without_cooperating_units_leaves_them_alone(api, world):
    task = world.task(cooperating_units=[world.shanmu])
    assert api(world.office).post(chase_task_url(task), {}, format="json").status_code == 201
    assert not InboxItem.objects.filter(
        person=world.shanmu_official, notification__rule=ReminderRule.CHASE
    ).exists()


def test_a_chase_refuses_a_unit_that_does_not_cooperate_on_the_task(api, world):
    task = world.task()
    response = api(world.office).post(
        chase_task_url(task), {"cooperating_units": [world.shanmu.pk]}, format="json"
    )
    assert response.status_code == 400
    assert "cooperating_units" in response.json()["fields"]
    assert not Notification.objects.exists()


# ---- Chasing a supervision order --------------------------------------------------------------------------


def chase_order_url(order):
    return f"/api/v1/supervision-orders/{order.pk}/chase/"


@pytest.mark.parametrize("who", ["inspector", "office"])
def test_a_supervision_order_is_chased(api, world, who):
    issued = order(world)
    response = api(getattr(world, who)).post(chase_order_url(issued), {"note": "尽快整改"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["order"] == issued.pk
    assert response.json()["title"] == f"【催办】督办单 {issued.number}"
    assert OrderEvent.objects.filter(order=issued, kind=OrderEventKind.CHASED).exists()


def test_a_unit_official_may_not_chase_an_order(api, world):
    issued = order(world)
    assert api(world.wanan_official).post(chase_order_url(issued), {}, format="json").status_code == 403
    assert not Notification.objects.exists()


def test_an_order_out_of_scope_is_a_404(api, world):
    issued = order(world)
    assert api(world.other_office).post(chase_order_url(issued), {}, format="json").status_code == 404


def test_a_closed_order_is_a_409(api, world):
    issued = order(world)
    services.order_acknowledge(order=issued, by=world.wanan_official)
    services.order_report_rectification(order=issued, by=world.wanan_official, text="已补齐台账")
    services.order_verify(order=issued, by=world.inspector)
    clear_handoffs()
    response = api(world.inspector).post(chase_order_url(issued), {}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    assert not Notification.objects.exists()
