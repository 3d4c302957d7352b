"""Every handoff reaches its people at once (supervision/handoffs.py): an inbox item for each person
concerned and one delivery per channel of their unit (or group), in the transaction of the change,
published after commit. The same step told twice is told once; a change that fails tells nobody; a
broker that is down does not turn a saved change into an error."""

import pytest
from django.db import transaction

from supervision import handoffs, services
from supervision.models import Channel, Delivery, DeliveryState, InboxItem, Notification, NotifyEndpoint
from supervision.models import ReminderRule as RULE
from tasks import seams
from tasks import services as task_services
from tasks.models import ExtensionRequest, TaskEvent
from tests.factories import days
from tests.reminders.e2e_support import spare_port
from tests.reminders.test_e2e_worker import publishing_to

WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wanan"


@pytest.fixture
def county(world):
    """万安镇 has a mailbox and a WeCom robot; the group has a mailbox; 山目乡 a mailbox."""
    NotifyEndpoint.objects.create(unit=world.wanan, channel=Channel.EMAIL, address="wanan@hongtong.gov.cn")
    NotifyEndpoint.objects.create(unit=world.wanan, channel=Channel.WECOM, address=WECOM)
    NotifyEndpoint.objects.create(unit=world.shanmu, channel=Channel.EMAIL, address="shanmu@hongtong.gov.cn")
    NotifyEndpoint.objects.create(group=world.group, channel=Channel.EMAIL, address="group6@linfen.gov.cn")
    return world


def told(rule, **audience) -> Notification:
    return Notification.objects.get(rule=rule, **audience)


def inbox(person, rule) -> list[str]:
    return list(
        InboxItem.objects.filter(person=person, notification__rule=rule).values_list(
            "notification__key", flat=True
        )
    )


def channels(notification) -> list[str]:
    return sorted(notification.deliveries.values_list("channel", flat=True))


def issue(world, **kwargs):
    values = {
        "group": world.group,
        "by": world.inspector,
        "unit": world.wanan,
        "problem": "隐患排查台账未按周更新",
        "requirement": "一周内补齐台账",
        "deadline": days(7),
    }
    return services.order_issue(**{**values, **kwargs})


def awaiting_close(world):
    task = world.task()
    task_services.progress_report(task=task, by=world.wanan_official, percent=100, done="全部完成")
    return task_services.task_request_close(task=task, by=world.wanan_official)


# ---- Each handoff reaches its people -------------------------------------------------------------------


def test_a_new_task_reaches_the_lead_unit_the_cooperating_units_and_the_responsible_leader(county):
    task = county.task(cooperating_units=[county.shanmu], responsible_leader=county.leader)
    lead = told(RULE.TASK_ASSIGNED, task=task, unit=county.wanan)
    assert inbox(county.wanan_official, RULE.TASK_ASSIGNED) == [lead.key]
    assert channels(lead) == [Channel.EMAIL, Channel.WECOM]
    helper = told(RULE.TASK_ASSIGNED, task=task, unit=county.shanmu)
    assert inbox(county.shanmu_official, RULE.TASK_ASSIGNED) == [helper.key]
    assert channels(helper) == [Channel.EMAIL]
    assert inbox(county.leader, RULE.TASK_ASSIGNED) == [told(RULE.TASK_ASSIGNED, person=county.leader).key]
    assert inbox(county.yingji_official, RULE.TASK_ASSIGNED) == []


def test_a_reassigned_task_reaches_the_new_lead_unit_and_not_the_old_one_again(county):
    task = county.task()
    task_services.task_assign(
        task=task, by=county.office, lead_unit=county.yingji, cooperating_units=[county.wanan]
    )
    assert inbox(county.yingji_official, RULE.TASK_ASSIGNED) == [
        told(RULE.TASK_ASSIGNED, unit=county.yingji).key
    ]
    # 万安镇 now cooperates: told once more, as a cooperating unit.
    assert Notification.objects.filter(rule=RULE.TASK_ASSIGNED, unit=county.wanan).count() == 2
    assert told(RULE.TASK_ASSIGNED, unit=county.wanan, step=handoffs.COOPERATING).task == task


def test_an_assignment_that_changes_nothing_tells_nobody(county):
    task = county.task()
    before = Notification.objects.count()
    task_services.task_assign(task=task, by=county.office, lead_unit=county.wanan)
    assert Notification.objects.count() == before


def test_a_returned_close_out_reaches_the_lead_unit(county):
    task = awaiting_close(county)
    task_services.task_return(task=task, by=county.office, reason="佐证材料不全")
    notification = told(RULE.TASK_RETURNED, task=task, unit=county.wanan)
    assert notification.note == "佐证材料不全"
    assert inbox(county.wanan_official, RULE.TASK_RETURNED) == [notification.key]
    assert channels(notification) == [Channel.EMAIL, Channel.WECOM]


@pytest.mark.parametrize(
    ("approve", "rule"), [(True, RULE.EXTENSION_APPROVED), (False, RULE.EXTENSION_REJECTED)]
)
def test_a_decided_extension_reaches_the_requesting_unit(county, approve, rule):
    task = county.task()
    extension = task_services.extension_request(
        task=task, by=county.wanan_official, new_deadline=days(20), reason="冬季施工受限"
    )
    task_services.extension_decide(
        extension=extension, by=county.office, approve=approve, reason="同意" if approve else "理由不充分"
    )
    notification = told(rule, task=task, unit=county.wanan)
    assert inbox(county.wanan_official, rule) == [notification.key]
    assert channels(notification) == [Channel.EMAIL, Channel.WECOM]
    assert ExtensionRequest.objects.get(pk=extension.pk).status != "pending"


def test_a_leaders_instruction_reaches_the_lead_unit(county):
    task = county.task()
    task_services.instruction_write(task=task, by=county.leader, text="务必在春节前完成整改")
    notification = told(RULE.INSTRUCTION, task=task, unit=county.wanan)
    assert inbox(county.wanan_official, RULE.INSTRUCTION) == [notification.key]
    assert channels(notification) == [Channel.EMAIL, Channel.WECOM]


def test_an_issued_order_reaches_the_addressed_and_the_cooperating_units(county):
    order = issue(county, cooperating_units=[county.shanmu])
    notification = told(RULE.ORDER_ISSUED, order=order, unit=county.wanan)
    assert inbox(county.wanan_official, RULE.ORDER_ISSUED) == [notification.key]
    assert channels(notification) == [Channel.EMAIL, Channel.WECOM]
    assert inbox(county.shanmu_official, RULE.ORDER_ISSUED) == [
        told(RULE.ORDER_ISSUED, unit=county.shanmu).key
    ]


def test_a_reported_rectification_reaches_the_issuing_groups_members(county):
    order = issue(county)
    services.order_acknowledge(order=order, by=county.wanan_official)
    services.order_report_rectification(order=order, by=county.wanan_official, text="已补齐11月台账")
    notification = told(RULE.ORDER_RECTIFIED, order=order, group=county.group)
    assert inbox(county.inspector, RULE.ORDER_RECTIFIED) == [notification.key]
    assert channels(notification) == [Channel.EMAIL]


def test_a_returned_rectification_reaches_the_addressed_unit(county):
    order = issue(county)
    services.order_acknowledge(order=order, by=county.wanan_official)
    services.order_report_rectification(order=order, by=county.wanan_official, text="已补齐台账")
    services.order_return(order=order, by=county.inspector, reason="照片看不清")
    notification = told(RULE.ORDER_RETURNED, order=order, unit=county.wanan)
    assert inbox(county.wanan_official, RULE.ORDER_RETURNED) == [notification.key]
    assert channels(notification) == [Channel.EMAIL, Channel.WECOM]


def test_a_chase_reaches_the_cooperating_units_the_chaser_picks(county):
    task = county.task(cooperating_units=[county.shanmu, county.yingji])
    services.chase_task(task=task, by=county.office, note="请加快进度", cooperating_units=[county.shanmu])
    assert Notification.objects.filter(rule=RULE.CHASE, task=task, unit=county.wanan).exists()
    assert inbox(county.shanmu_official, RULE.CHASE) != []
    assert inbox(county.yingji_official, RULE.CHASE) == []
    assert TaskEvent.objects.get(task=task, kind="chased").after == {
        "cooperating_unit_ids": [county.shanmu.pk]
    }


def test_a_chase_cannot_pick_a_unit_that_does_not_cooperate(county):
    from django.core.exceptions import ValidationError

    task = county.task()
    with pytest.raises(ValidationError):
        services.chase_task(task=task, by=county.office, cooperating_units=[county.yingji])
    assert not Notification.objects.filter(rule=RULE.CHASE).exists()


# ---- Once, with the change, and whatever the broker ------------------------------------------------------


def test_the_same_handoff_told_twice_makes_no_second_inbox_item_or_delivery(county):
    task = county.task(cooperating_units=[county.shanmu])
    event = TaskEvent.objects.get(task=task, kind="created")
    counts = (Notification.objects.count(), InboxItem.objects.count(), Delivery.objects.count())
    handoff = seams.Handoff(
        kind=RULE.TASK_ASSIGNED,
        task=task,
        event=event,
        units=(county.wanan.pk,),
        cooperating=(county.shanmu.pk,),
    )
    seams.tell(handoff)
    order = issue(county)
    counts_after_order = (Notification.objects.count(), InboxItem.objects.count(), Delivery.objects.count())
    handoffs.notify(
        rule=RULE.ORDER_ISSUED, key=f"order_issued:o{order.pk}", order=order, units=[county.wanan.pk]
    )
    assert counts[0] < counts_after_order[0]
    assert (
        Notification.objects.count(),
        InboxItem.objects.count(),
        Delivery.objects.count(),
    ) == counts_after_order
    assert InboxItem.objects.filter(notification__task=task).count() == 2


def test_a_change_that_fails_tells_nobody(county):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        issue(county, deadline=days(-1))
    task = county.task()
    before = Notification.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        task_services.instruction_write(task=task, by=county.leader, text="务必按期完成")
        raise RuntimeError("the request failed after the 批示")
    assert Notification.objects.count() == before
    assert not Notification.objects.filter(rule=RULE.ORDER_ISSUED).exists()


def test_a_broker_that_is_down_does_not_turn_the_change_into_an_error(
    county, django_capture_on_commit_callbacks
):
    task = county.task()
    with (
        publishing_to(f"redis://127.0.0.1:{spare_port()}/0"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        task_services.instruction_write(task=task, by=county.leader, text="务必按期完成")
    notification = told(RULE.INSTRUCTION, task=task)
    assert set(notification.deliveries.values_list("state", "enqueued_at")) == {(DeliveryState.PENDING, None)}
    assert inbox(county.wanan_official, RULE.INSTRUCTION) == [notification.key]


def test_the_task_pages_chase_form_offers_the_cooperating_units_and_reaches_the_ones_ticked(county, client):
    from django.urls import reverse

    task = county.task(cooperating_units=[county.shanmu, county.yingji])
    client.force_login(county.office)
    page = client.get(reverse("task-detail", args=[task.pk])).content.decode()
    assert 'data-testid="chase-cooperating"' in page
    assert f'name="cooperating_units" value="{county.shanmu.pk}"' in page
    response = client.post(
        reverse("task-chase", args=[task.pk]), {"note": "请配合加快", "cooperating_units": [county.shanmu.pk]}
    )
    assert response.status_code == 302
    assert inbox(county.shanmu_official, RULE.CHASE) != []
    assert inbox(county.yingji_official, RULE.CHASE) == []
    assert inbox(county.wanan_official, RULE.CHASE) != []


# ---- An import tells every assignment, in a few statements --------------------------------------------


def _import(world, count: int):
    from tasks.imports import import_commit, import_preview
    from tests.import_workbooks import task_list_bytes, upload

    rows = [
        [n, "安全生产专项行动", f"导入的任务{n}", "万安镇", "山目乡", "", "12月底前", ""]
        for n in range(count)
    ]
    batch = import_preview(
        campaign=world.campaign, file=upload("清单.xlsx", task_list_bytes(rows)), by=world.office
    )
    return import_commit(batch=batch, by=world.office)


def test_an_imported_task_list_reaches_the_lead_and_cooperating_units_once_per_task(county):
    _import(county, 3)
    assert len(inbox(county.wanan_official, RULE.TASK_ASSIGNED)) == 3
    assert len(inbox(county.shanmu_official, RULE.TASK_ASSIGNED)) == 3
    lead = Notification.objects.filter(rule=RULE.TASK_ASSIGNED, unit=county.wanan, step=handoffs.PRINCIPAL)
    assert sorted(lead.values_list("task__title", flat=True)) == ["导入的任务0", "导入的任务1", "导入的任务2"]
    assert Delivery.objects.filter(notification__in=lead).count() == 3 * 2  # email and WeCom, per task


def test_an_import_tells_its_assignments_in_statements_that_do_not_grow_with_its_rows(county):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def notification_statements(count):
        with CaptureQueriesContext(connection) as queries:
            _import(county, count)
        tables = ("supervision_notification", "supervision_inboxitem", "supervision_delivery")
        return sum(1 for query in queries if any(table in query["sql"] for table in tables))

    assert notification_statements(2) == notification_statements(20)
