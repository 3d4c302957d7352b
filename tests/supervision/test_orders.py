"""Supervision orders at the service level: the lifecycle, who may take each step, the timeline,
numbering per group and year, and gapless numbers under concurrent issuing (PostgreSQL)."""

import datetime
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections

from supervision import services
from supervision.models import OrderEvent, OrderEventKind, OrderStatus, SupervisionOrder
from tasks.models import EventKind, TaskEvent
from tasks.services import InvalidTransition
from tests.factories import days

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def issue(world, **kwargs):
    values = {
        "group": world.group,
        "by": world.inspector,
        "unit": world.wanan,
        "problem": "万安煤业井下作业规程未落实",
        "requirement": "立即停产整顿,逐项整改",
        "deadline": days(7),
    }
    values.update(kwargs)
    return services.order_issue(**values)


def acknowledged(world, **kwargs):
    return services.order_acknowledge(order=issue(world, **kwargs), by=world.wanan_official)


def rectified(world, **kwargs):
    return services.order_report_rectification(
        order=acknowledged(world, **kwargs), by=world.wanan_official, text="已停产整顿,隐患全部消除"
    )


def closed(world):
    return services.order_verify(order=rectified(world), by=world.inspector, note="现场核验合格")


def snapshot(order):
    order = SupervisionOrder.objects.get(pk=order.pk)
    return (order.status, order.returned, order.rectification, order.closed_at, order.events.count())


def inspection(world, **kwargs):
    values = {
        "group": world.group,
        "by": world.inspector,
        "kind": "on_site",
        "date": days(0),
        "summary": "实地检查万安镇煤矿",
        "units": [world.wanan],
        "findings": [{"unit": world.wanan, "text": "井下通风记录缺失"}],
    }
    values.update(kwargs)
    return services.inspection_record(**values)


# ---- The lifecycle -------------------------------------------------------------------------------


def test_an_order_goes_from_issued_to_closed(world):
    order = issue(world)
    assert order.status == OrderStatus.ISSUED
    order = services.order_acknowledge(order=order, by=world.wanan_official)
    assert order.status == OrderStatus.ACKNOWLEDGED
    order = services.order_report_rectification(order=order, by=world.wanan_official, text="已整改到位")
    assert (order.status, order.rectification) == (OrderStatus.RECTIFIED, "已整改到位")
    order = services.order_verify(order=order, by=world.inspector, note="合格")
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED
    assert order.closed_at is not None


def test_a_returned_rectification_goes_back_to_the_unit(world):
    order = services.order_return(order=rectified(world), by=world.inspector, reason="整改材料不全")
    order.refresh_from_db()
    assert (order.status, order.returned) == (OrderStatus.ACKNOWLEDGED, True)


def test_rectifying_again_after_a_return_clears_the_returned_flag(world):
    order = services.order_return(order=rectified(world), by=world.inspector, reason="整改材料不全")
    order = services.order_report_rectification(order=order, by=world.wanan_official, text="已补齐材料")
    assert (order.status, order.returned) == (OrderStatus.RECTIFIED, False)


# ---- Forbidden transitions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "step"),
    [
        pytest.param(acknowledged, "acknowledge", id="acknowledge-twice"),
        pytest.param(issue, "rectify", id="rectify-before-acknowledging"),
        pytest.param(rectified, "rectify", id="rectify-twice"),
        pytest.param(issue, "verify", id="verify-issued"),
        pytest.param(acknowledged, "verify", id="verify-unrectified"),
        pytest.param(issue, "return", id="return-issued"),
        pytest.param(acknowledged, "return", id="return-unrectified"),
        pytest.param(closed, "return", id="return-closed"),
        pytest.param(closed, "verify", id="verify-closed"),
        pytest.param(closed, "acknowledge", id="acknowledge-closed"),
        pytest.param(closed, "rectify", id="rectify-closed"),
    ],
)
def test_a_step_the_status_does_not_allow_is_refused_and_changes_nothing(world, make, step):
    order = make(world)
    before = snapshot(order)
    task_events = TaskEvent.objects.count()
    calls = {
        "acknowledge": lambda: services.order_acknowledge(order=order, by=world.wanan_official),
        "rectify": lambda: services.order_report_rectification(
            order=order, by=world.wanan_official, text="再次整改"
        ),
        "verify": lambda: services.order_verify(order=order, by=world.inspector),
        "return": lambda: services.order_return(order=order, by=world.inspector, reason="不合格"),
    }
    with pytest.raises(InvalidTransition):
        calls[step]()
    assert snapshot(order) == before
    assert TaskEvent.objects.count() == task_events


# ---- Who may act -----------------------------------------------------------------------------------------


def test_a_county_office_person_outside_the_group_cannot_issue(world):
    with pytest.raises(PermissionDenied):
        issue(world, by=world.office)
    assert not SupervisionOrder.objects.exists()


def test_a_county_office_person_outside_the_group_cannot_verify(world):
    order = rectified(world)
    with pytest.raises(PermissionDenied):
        services.order_verify(order=order, by=world.office)
    assert snapshot(order)[0] == OrderStatus.RECTIFIED


def test_a_county_office_person_outside_the_group_cannot_return(world):
    order = rectified(world)
    with pytest.raises(PermissionDenied):
        services.order_return(order=order, by=world.office, reason="不合格")
    assert snapshot(order)[0] == OrderStatus.RECTIFIED


def test_the_addressed_units_official_cannot_verify_their_own_order(world):
    with pytest.raises(PermissionDenied):
        services.order_verify(order=rectified(world), by=world.wanan_official)


def test_another_townships_official_cannot_acknowledge(world):
    order = issue(world)
    with pytest.raises(PermissionDenied):
        services.order_acknowledge(order=order, by=world.shanmu_official)
    assert snapshot(order)[0] == OrderStatus.ISSUED


def test_another_townships_official_cannot_report_rectification(world):
    order = acknowledged(world)
    with pytest.raises(PermissionDenied):
        services.order_report_rectification(order=order, by=world.shanmu_official, text="已整改")
    assert snapshot(order)[0] == OrderStatus.ACKNOWLEDGED


def test_the_inspector_cannot_acknowledge_for_the_unit(world):
    with pytest.raises(PermissionDenied):
        services.order_acknowledge(order=issue(world), by=world.inspector)


def test_a_unit_outside_the_groups_scope_cannot_be_addressed(world):
    with pytest.raises(ValidationError) as error:
        issue(world, unit=world.other_town)
    assert "unit" in error.value.message_dict
    assert not SupervisionOrder.objects.exists()


def test_a_deadline_in_the_past_is_refused(world):
    with pytest.raises(ValidationError) as error:
        issue(world, deadline=days(-1))
    assert "deadline" in error.value.message_dict


def test_the_addressed_unit_cannot_also_cooperate(world):
    with pytest.raises(ValidationError) as error:
        issue(world, cooperating_units=[world.wanan, world.shanmu])
    assert "cooperating_units" in error.value.message_dict


def test_rectification_needs_a_text(world):
    order = acknowledged(world)
    with pytest.raises(ValidationError):
        services.order_report_rectification(order=order, by=world.wanan_official, text="  ")
    assert snapshot(order)[0] == OrderStatus.ACKNOWLEDGED


def test_a_return_needs_a_reason(world):
    order = rectified(world)
    with pytest.raises(ValidationError):
        services.order_return(order=order, by=world.inspector, reason="")
    assert snapshot(order)[0] == OrderStatus.RECTIFIED


def test_an_inactive_groups_member_cannot_issue(world):
    world.group.is_active = False
    world.group.save()
    with pytest.raises(PermissionDenied):
        issue(world)


# ---- The timeline -----------------------------------------------------------------------------------------


def test_each_step_is_written_on_the_orders_timeline(world):
    order = services.order_return(order=rectified(world), by=world.inspector, reason="材料不全")
    order = services.order_report_rectification(order=order, by=world.wanan_official, text="已补齐")
    services.order_verify(order=order, by=world.inspector, note="合格")
    events = list(
        OrderEvent.objects.filter(order=order).order_by("at", "id").values_list("kind", "actor", "note")
    )
    assert events == [
        (OrderEventKind.ISSUED, world.inspector.pk, ""),
        (OrderEventKind.ACKNOWLEDGED, world.wanan_official.pk, ""),
        (OrderEventKind.RECTIFIED, world.wanan_official.pk, "已停产整顿,隐患全部消除"),
        (OrderEventKind.RETURNED, world.inspector.pk, "材料不全"),
        (OrderEventKind.RECTIFIED, world.wanan_official.pk, "已补齐"),
        (OrderEventKind.CLOSED, world.inspector.pk, "合格"),
    ]


def test_issuing_and_closing_show_on_the_related_tasks_timelines(world):
    first, second = world.task(), world.task(title="燃气安全检查")
    order = issue(world, tasks=[first, second])
    order = services.order_acknowledge(order=order, by=world.wanan_official)
    order = services.order_report_rectification(order=order, by=world.wanan_official, text="已整改")
    services.order_verify(order=order, by=world.inspector)
    for task in (first, second):
        rows = TaskEvent.objects.filter(task=task, kind__in=[EventKind.ORDER_ISSUED, EventKind.ORDER_CLOSED])
        assert [(e.kind, e.after["order_id"], e.after["number"]) for e in rows.order_by("at", "id")] == [
            (EventKind.ORDER_ISSUED, order.pk, order.number),
            (EventKind.ORDER_CLOSED, order.pk, order.number),
        ]


def test_an_order_without_tasks_writes_no_task_events(world):
    world.task()
    before = TaskEvent.objects.count()
    issue(world)
    assert TaskEvent.objects.count() == before


# ---- Findings ----------------------------------------------------------------------------------------------


def test_an_order_from_a_finding_takes_the_findings_task(world):
    task = world.task()
    finding = inspection(
        world, findings=[{"unit": world.wanan, "task": task, "text": "台账缺失"}]
    ).findings.get()
    order = issue(world, finding=finding, problem=finding.text)
    assert list(order.tasks.all()) == [task]
    assert finding.order == order


def test_a_finding_can_be_turned_into_one_order_only(world):
    finding = inspection(world).findings.get()
    issue(world, finding=finding)
    with pytest.raises(InvalidTransition):
        issue(world, finding=finding)
    assert SupervisionOrder.objects.count() == 1


def test_a_finding_outside_the_groups_scope_is_refused(world):
    with pytest.raises(ValidationError):
        inspection(world, findings=[{"unit": world.other_town, "text": "问题"}])


# ---- Numbering -----------------------------------------------------------------------------------------------


@pytest.fixture
def prefixed(world):
    world.group.order_prefix = "临督"
    world.group.save()
    return world


def test_orders_are_numbered_1_2_3_in_the_groups_style(prefixed):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI), tick=False):
        numbers = [issue(prefixed).number for _ in range(3)]
    assert numbers == ["临督〔2026〕1号", "临督〔2026〕2号", "临督〔2026〕3号"]


def test_a_group_without_a_prefix_numbers_with_its_name(world):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI), tick=False):
        assert issue(world).number == "市冬季行动第六督导检查组〔2026〕1号"


def test_each_group_has_its_own_sequence(prefixed):
    other = services.group_create(
        name="县两办第一督导组",
        issuing_unit=prefixed.county,
        by=prefixed.office,
        leader=prefixed.office,
        scope_units=[prefixed.wanan],
        order_prefix="洪督",
    )
    with time_machine.travel(datetime.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI), tick=False):
        issue(prefixed)
        issue(prefixed)
        theirs = issue(prefixed, group=other, by=prefixed.office)
    assert (theirs.sequence, theirs.number) == (1, "洪督〔2026〕1号")


def test_a_new_year_restarts_at_1(prefixed):
    with time_machine.travel(datetime.datetime(2026, 12, 31, 23, 50, tzinfo=SHANGHAI), tick=False):
        issue(prefixed)
        last = issue(prefixed)
    # Shanghai's new year begins while it is still 31 December in UTC.
    with time_machine.travel(datetime.datetime(2027, 1, 1, 0, 10, tzinfo=SHANGHAI), tick=False):
        first = issue(prefixed)
    assert last.number == "临督〔2026〕2号"
    assert (first.year, first.sequence, first.number) == (2027, 1, "临督〔2027〕1号")


def test_a_refused_issue_uses_no_number(prefixed):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI), tick=False):
        issue(prefixed)
        with pytest.raises(ValidationError):
            issue(prefixed, unit=prefixed.other_town)
        assert issue(prefixed).number == "临督〔2026〕2号"


@pytest.mark.django_db(transaction=True)
def test_fifty_orders_issued_at_once_get_fifty_gapless_numbers(postgres, world):
    group_id, inspector_id, unit_id = world.group.pk, world.inspector.pk, world.wanan.pk
    start = threading.Barrier(8)

    def issue_some(count):
        from supervision.models import SupervisionGroup
        from tasks.models import Person, Unit

        try:
            group = SupervisionGroup.objects.get(pk=group_id)
            by, unit = Person.objects.get(pk=inspector_id), Unit.objects.get(pk=unit_id)
            start.wait(timeout=60)
            return [
                services.order_issue(
                    group=group, by=by, unit=unit, problem="问题", requirement="整改", deadline=days(3)
                ).sequence
                for _ in range(count)
            ]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(issue_some, [7, 7, 6, 6, 6, 6, 6, 6]))
    sequences = sorted(n for batch in results for n in batch)
    assert sequences == list(range(1, 51))
    stored = sorted(SupervisionOrder.objects.filter(group=world.group).values_list("sequence", flat=True))
    assert stored == list(range(1, 51))
