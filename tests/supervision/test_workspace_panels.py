"""The inspector's panels on the 工作台: orders awaiting my 验收, orders overdue in my scope, the
inspections I recorded; each lists only what belongs to my groups."""

import datetime
import re
import zoneinfo

import pytest

from supervision import services
from tasks import services as task_services
from tests.factories import days

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def panel(client, key: str) -> str:
    page = client.get("/").content.decode()
    match = re.search(rf'data-section="{key}">(.*?)</section>', page, re.S)
    return match.group(1) if match else ""


def numbers(html: str) -> set[str]:
    return set(re.findall(r'data-order="([^"]+)"', html))


def issue(world, unit=None, deadline=None, problem="宿舍消防通道堆放杂物"):
    return services.order_issue(
        group=world.group,
        by=world.inspector,
        unit=unit or world.wanan,
        problem=problem,
        requirement="立即清理并反馈照片",
        deadline=deadline or days(2),
    )


def rectified(world):
    order = issue(world, problem="煤矿宿舍私拉电线")
    services.order_acknowledge(order=order, by=world.wanan_official)
    services.order_report_rectification(order=order, by=world.wanan_official, text="已全部整改")
    return order


@pytest.fixture
def other_inspector(world):
    """A member of another group: 尧都区's own group, whose scope is 尧都区."""
    person = task_services.person_create(
        by=None, username="yd_inspector", unit=world.other_county, role="inspector", position="督导组组员"
    )
    services.group_create(
        name="尧都区督查组",
        issuing_unit=world.other_county,
        by=world.other_office,
        leader=person,
        scope_units=[world.other_county],
    )
    return person


def later(time_machine, n: int) -> None:
    day = days(n)
    time_machine.move_to(datetime.datetime.combine(day, datetime.time(10), tzinfo=SHANGHAI), tick=False)


def test_an_inspector_sees_the_orders_awaiting_their_verification(client, world):
    waiting = rectified(world)
    acknowledged = issue(world, problem="只签收未整改")
    services.order_acknowledge(order=acknowledged, by=world.wanan_official)
    client.force_login(world.inspector)
    assert numbers(panel(client, "awaiting_verification")) == {waiting.number}


def test_a_verified_order_leaves_the_list(client, world):
    order = rectified(world)
    services.order_verify(order=order, by=world.inspector)
    client.force_login(world.inspector)
    assert numbers(panel(client, "awaiting_verification")) == set()


def test_an_inspector_sees_the_orders_overdue_in_their_scope(client, world, time_machine):
    late = issue(world, deadline=days(2))
    issue(world, unit=world.shanmu, deadline=days(10), problem="尚未到期")
    closed = rectified(world)
    services.order_verify(order=closed, by=world.inspector)
    later(time_machine, 5)
    client.force_login(world.inspector)
    html = panel(client, "orders_overdue")
    assert numbers(html) == {late.number}
    assert "逾期" in html


def test_an_inspector_sees_the_inspections_they_recorded(client, world, other_inspector):
    mine = services.inspection_record(
        group=world.group,
        by=world.inspector,
        kind="on_site",
        date=days(0),
        summary="实地督查万安镇煤矿",
        units=[world.wanan],
        findings=[{"unit": world.wanan, "text": "消防通道堵塞"}],
    )
    services.inspection_record(
        group=world.group.__class__.objects.get(name="尧都区督查组"),
        by=other_inspector,
        kind="spot_check",
        date=days(0),
        summary="抽查屯里镇",
        units=[world.other_town],
    )
    client.force_login(world.inspector)
    html = panel(client, "my_inspections")
    assert f'data-inspection="{mine.pk}"' in html and "实地督查万安镇煤矿" in html
    assert "抽查屯里镇" not in html


def test_a_member_of_another_group_sees_none_of_these_orders(client, world, other_inspector, time_machine):
    rectified(world)
    issue(world, deadline=days(2), problem="会逾期的督办单")
    later(time_machine, 5)
    client.force_login(other_inspector)
    assert numbers(panel(client, "awaiting_verification")) == set()
    assert numbers(panel(client, "orders_overdue")) == set()


def test_a_unit_official_gets_no_inspector_panels(client, world):
    rectified(world)
    client.force_login(world.wanan_official)
    assert 'data-testid="inspector-panels"' not in client.get("/").content.decode()


def test_an_inspector_of_an_inactive_group_gets_no_panels(client, world):
    rectified(world)
    world.group.is_active = False
    world.group.save()
    client.force_login(world.inspector)
    assert 'data-testid="inspector-panels"' not in client.get("/").content.decode()


def test_the_panels_take_a_fixed_number_of_queries(
    client, world, django_assert_num_queries, django_assert_max_num_queries
):
    client.force_login(world.inspector)
    rectified(world)
    client.get("/")
    with django_assert_max_num_queries(25) as few:
        client.get("/")
    for i in range(5):
        rectified(world)
        services.inspection_record(
            group=world.group,
            by=world.inspector,
            kind="on_site",
            date=days(0),
            summary=f"督查{i}",
            units=[world.wanan],
            findings=[{"unit": world.wanan, "text": f"问题{i}"}],
        )
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get("/").status_code == 200
