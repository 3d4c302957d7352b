"""The 督查 pages: orders list, one order with its steps, the printable A4 order."""

import pytest
from django.contrib.staticfiles import finders

from supervision import services
from supervision.models import OrderStatus
from tests.factories import days


@pytest.fixture
def order(world):
    world.group.order_prefix = "临督"
    world.group.save()
    task = world.task()
    return services.order_issue(
        group=world.group,
        by=world.inspector,
        unit=world.wanan,
        problem="宿舍消防通道堆放杂物",
        requirement="立即清理并反馈照片",
        deadline=days(5),
        tasks=[task],
    )


def test_the_addressed_unit_sees_the_order_and_acknowledges_it(client, world, order):
    client.force_login(world.wanan_official)
    page = client.get("/supervision/").content.decode()
    assert order.number in page
    detail = client.get(f"/supervision/orders/{order.pk}/").content.decode()
    assert 'data-action="acknowledge"' in detail
    client.post(f"/supervision/orders/{order.pk}/acknowledge/")
    order.refresh_from_db()
    assert order.status == OrderStatus.ACKNOWLEDGED


def test_another_township_sees_no_buttons_and_is_refused(client, world, order):
    client.force_login(world.shanmu_official)
    detail = client.get(f"/supervision/orders/{order.pk}/").content.decode()
    assert 'data-action="acknowledge"' not in detail
    client.post(f"/supervision/orders/{order.pk}/acknowledge/")
    order.refresh_from_db()
    assert order.status == OrderStatus.ISSUED


def test_another_countys_official_cannot_open_the_order(client, world, order):
    client.force_login(world.other_official)
    assert client.get(f"/supervision/orders/{order.pk}/").status_code == 404
    assert client.get(f"/supervision/orders/{order.pk}/print/").status_code == 404
    assert order.number not in client.get("/supervision/").content.decode()


def test_the_inspector_verifies_a_rectified_order(client, world, order):
    services.order_acknowledge(order=order, by=world.wanan_official)
    client.force_login(world.wanan_official)
    client.post(f"/supervision/orders/{order.pk}/rectify/", {"text": "通道已清理,照明已更换"})
    client.force_login(world.inspector)
    assert 'data-action="verify"' in client.get(f"/supervision/orders/{order.pk}/").content.decode()
    client.post(f"/supervision/orders/{order.pk}/verify/", {"note": "现场复核合格"})
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED


def test_returning_without_a_reason_is_refused_with_a_message(client, world, order):
    services.order_acknowledge(order=order, by=world.wanan_official)
    services.order_report_rectification(order=order, by=world.wanan_official, text="已整改")
    client.force_login(world.inspector)
    response = client.post(f"/supervision/orders/{order.pk}/return/", {"reason": ""}, follow=True)
    assert "请填写退回理由" in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.RECTIFIED


def test_the_printable_order_follows_the_official_layout(client, world, order):
    client.force_login(world.wanan_official)
    page = client.get(f"/supervision/orders/{order.pk}/print/").content.decode()
    # The layout is a static stylesheet (no <style> under the Content-Security-Policy).
    assert "css/order_print.css" in page
    with open(finders.find("css/order_print.css"), encoding="utf-8") as stylesheet:
        layout = stylesheet.read()
    assert "@page { size: A4" in layout
    assert order.number in page and order.number.startswith("临督〔")
    assert "#c8161d" in layout  # the red masthead and rule
    assert world.wanan.full_name in page
    assert "立即清理并反馈照片" in page


def test_the_units_open_orders_show_on_its_workspace(client, world, order):
    client.force_login(world.wanan_official)
    page = client.get("/").content.decode()
    assert 'data-section="orders"' in page and order.number in page
    client.force_login(world.shanmu_official)
    assert order.number not in client.get("/").content.decode()


def test_a_closed_order_leaves_the_workspace(client, world, order):
    services.order_acknowledge(order=order, by=world.wanan_official)
    services.order_report_rectification(order=order, by=world.wanan_official, text="已整改")
    services.order_verify(order=order, by=world.inspector)
    client.force_login(world.wanan_official)
    assert order.number not in client.get("/").content.decode()
