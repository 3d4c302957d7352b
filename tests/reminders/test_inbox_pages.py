"""The bell, the inbox (/notifications/) and the 催办 button on the task page."""

import datetime

import pytest
from django.urls import reverse

from supervision import messages, reminders, workdays
from supervision.models import InboxItem, Notification, ReminderRule
from supervision.services import chase_task
from tasks import services
from tasks.models import EventKind, TaskEvent


def chase(world, task, n=1, note=""):
    return [chase_task(task=task, by=world.office, note=note) for _ in range(n)]


def unread(person) -> int:
    return InboxItem.objects.filter(person=person, read_at__isnull=True).count()


# ---- The bell --------------------------------------------------------------------------------------


def test_the_bell_shows_how_many_of_my_messages_are_unread(client, world):
    task = world.task()
    chase(world, task, 2)
    client.force_login(world.wanan_official)
    response = client.get(reverse("home"))
    html = response.content.decode()
    assert 'aria-label="未读消息 2 条"' in html
    assert 'data-testid="bell" data-unread="2"' in html
    assert f'href="{reverse("notifications")}"' in html


def test_the_bell_counts_only_my_own_messages(client, world):
    chase(world, world.task())
    client.force_login(world.shanmu_official)
    html = client.get(reverse("home")).content.decode()
    assert 'aria-label="未读消息 0 条"' in html


def test_the_bell_is_one_query(world, rf):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from supervision.context_processors import Inbox

    chase(world, world.task(), 3)
    inbox = Inbox(world.wanan_official)
    with CaptureQueriesContext(connection) as queries:
        assert inbox.unread == 3
        assert inbox.unread == 3
    assert len(queries) == 1


def test_an_anonymous_visitor_has_no_bell(client, db):
    assert 'data-testid="bell"' not in client.get(reverse("login")).content.decode()


# ---- The inbox ---------------------------------------------------------------------------------------


def test_the_inbox_lists_my_messages_newest_first_with_unread_highlighted(client, world):
    first = world.task(title="燃气管道隐患排查")
    second = world.task(title="煤矿通风检查")
    chase(world, first, note="请本周内完成")
    chase(world, second)
    client.force_login(world.wanan_official)
    response = client.get(reverse("notifications"))
    assert response.status_code == 200
    titles = [row["title"] for row in response.context["items"]]
    assert titles == ["【催办】煤矿通风检查", "【催办】燃气管道隐患排查"]
    html = response.content.decode()
    assert html.count('data-unread="true"') == 2
    assert "请本周内完成" in html
    assert "全部标为已读" in html


def test_the_inbox_title_is_the_messages_title(client, world):
    """Overdue and chase reminders: the inbox says what the email said, without a query per row."""
    task = world.task(deadline=world_deadline(), responsible_leader=world.leader)
    day = next_working_day_after(task.deadline)
    reminders.scan(day, publish=False)
    chase(world, task)
    client.force_login(world.wanan_official)
    rows = client.get(reverse("notifications")).context["items"]
    rules = {row["item"].notification.rule for row in rows}
    assert rules == {ReminderRule.OVERDUE, ReminderRule.CHASE}
    for row in rows:
        assert row["title"] == messages.render(row["item"].notification).title


def world_deadline():
    from tests.factories import days

    return days(3)


def next_working_day_after(date):
    day = date + datetime.timedelta(days=1)
    while not workdays.is_working_day(day):
        day += datetime.timedelta(days=1)
    return day


def test_opening_a_message_marks_it_read_and_leads_to_the_task(client, world):
    task = world.task()
    (notification,) = chase(world, task)
    client.force_login(world.wanan_official)
    response = client.get(reverse("notification-open", args=[notification.pk]))
    assert response.status_code == 302
    assert response.url == reverse("task-detail", args=[task.pk])
    assert InboxItem.objects.get(person=world.wanan_official, notification=notification).read_at is not None
    html = client.get(reverse("notifications")).content.decode()
    assert 'data-unread="false"' in html and 'data-unread="true"' not in html


def test_another_persons_message_is_a_404_and_stays_unread(client, world):
    (notification,) = chase(world, world.task())
    client.force_login(world.shanmu_official)
    assert client.get(reverse("notification-open", args=[notification.pk])).status_code == 404
    assert unread(world.wanan_official) == 1
    assert client.get(reverse("notifications")).context["items"] == []


def test_mark_all_read_marks_every_unread_message_of_mine(client, world):
    chase(world, world.task(), 3)
    client.force_login(world.wanan_official)
    response = client.post(reverse("notifications-read-all"))
    assert response.status_code == 302
    assert unread(world.wanan_official) == 0
    assert "全部标为已读" not in client.get(reverse("notifications")).content.decode()


def test_mark_all_read_leaves_other_peoples_messages_unread(client, world):
    colleague = services.person_create(
        by=None, username="wanan2", unit=world.wanan, role="unit_official", password="winteraction"
    )
    chase(world, world.task(), 2)
    client.force_login(world.wanan_official)
    client.post(reverse("notifications-read-all"))
    assert unread(world.wanan_official) == 0
    assert unread(colleague) == 2


def test_mark_all_read_needs_a_post(client, world):
    chase(world, world.task())
    client.force_login(world.wanan_official)
    assert client.get(reverse("notifications-read-all")).status_code == 405
    assert unread(world.wanan_official) == 1


def test_the_inbox_pages_by_fifty_in_a_fixed_number_of_queries(client, world, django_assert_num_queries):
    task = world.task()
    chase(world, task, 3)
    client.force_login(world.wanan_official)
    client.get(reverse("notifications"))  # warm the session
    # session, user, access, nav ×2, bell, count, page
    with django_assert_num_queries(8) as few:
        client.get(reverse("notifications"))
    chase(world, task, 60)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(reverse("notifications"))
    assert len(response.context["items"]) == 50
    assert len(client.get(reverse("notifications"), {"page": 2}).context["items"]) == 13


def test_the_inbox_needs_signing_in(client, db):
    response = client.get(reverse("notifications"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# ---- 催办 on the task page ------------------------------------------------------------------------------


def page(client, task):
    return client.get(reverse("task-detail", args=[task.pk]))


@pytest.mark.parametrize("who", ["office", "inspector"])
def test_the_office_and_an_inspector_in_scope_see_the_chase_button(client, world, who):
    task = world.task()
    client.force_login(getattr(world, who))
    html = page(client, task).content.decode()
    assert 'data-action="chase"' in html
    assert reverse("task-chase", args=[task.pk]) in html


@pytest.mark.parametrize("who", ["wanan_official", "leader"])
def test_others_see_no_chase_button(client, world, who):
    task = world.task()
    client.force_login(getattr(world, who))
    assert 'data-action="chase"' not in page(client, task).content.decode()


def test_chasing_tells_the_lead_unit_and_shows_on_the_timeline(client, world):
    task = world.task()
    client.force_login(world.office)
    response = client.post(reverse("task-chase", args=[task.pk]), {"note": "请于明日前报送进度"}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "已催办,已通知牵头单位。" in html
    assert 'data-event="chased"' in html and "请于明日前报送进度" in html
    notification = Notification.objects.get(rule=ReminderRule.CHASE)
    assert (
        notification.task == task
        and notification.unit == world.wanan
        and notification.created_by == world.office
    )
    assert InboxItem.objects.filter(notification=notification, person=world.wanan_official).exists()


def test_an_inspector_in_scope_may_chase_by_htmx(client, world):
    task = world.task()
    client.force_login(world.inspector)
    response = client.post(reverse("task-chase", args=[task.pk]), {"note": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="task-body"' in response.content.decode()
    assert TaskEvent.objects.filter(task=task, kind=EventKind.CHASED, actor=world.inspector).exists()


def test_a_unit_officials_forged_chase_is_a_403_and_sends_nothing(client, world):
    task = world.task()
    client.force_login(world.wanan_official)
    assert client.post(reverse("task-chase", args=[task.pk]), {"note": "催"}).status_code == 403
    assert not Notification.objects.exists()
    assert not TaskEvent.objects.filter(kind=EventKind.CHASED).exists()


def test_another_countys_office_cannot_find_the_task_to_chase(client, world):
    task = world.task()
    client.force_login(world.other_office)
    assert client.post(reverse("task-chase", args=[task.pk])).status_code == 404
    assert not Notification.objects.exists()


def test_a_cancelled_task_is_not_chased(client, world):
    task = world.task()
    services.task_cancel(task=task, by=world.office, reason="任务合并")
    client.force_login(world.office)
    assert 'data-action="chase"' not in page(client, task).content.decode()
    response = client.post(reverse("task-chase", args=[task.pk]), follow=True)
    assert "无需催办" in response.content.decode()
    assert not Notification.objects.exists()
