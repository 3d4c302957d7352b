"""Outbound webhooks (supervision/webhooks.py): what a region's changes send to the endpoints its office
registered, through the outbox, to a real HTTP receiver on 127.0.0.1: signed, with an idempotency id
that a retry keeps, failures visible and sent again by hand; nothing for events not subscribed to or
for another county; an import in statements that do not grow with its rows; and a sender that
connects to the address it checked (no second DNS lookup)."""

import datetime
import hashlib
import hmac
import ipaddress
import json
import socket
import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from supervision import channels, outbox, services
from supervision.messages import Message
from supervision.models import Channel, Delivery, DeliveryState, WebhookEndpoint, WebhookEvent
from tasks import services as task_services
from tasks.models import Task
from tests.factories import days, draft_bulletin
from tests.reminders.webhook_receiver import running_receiver

ALL_EVENTS = [
    "task.created",
    "task.updated",
    "task.closed",
    "progress.reported",
    "order.issued",
    "order.closed",
    "bulletin.issued",
]


# ---- A receiver on 127.0.0.1 (tests/reminders/webhook_receiver.py) ----------------------------------------


@pytest.fixture
def receiver(settings):
    with running_receiver("/hooks/winteraction") as receiver:
        settings.WEBHOOK_TEST_HOSTS = [receiver.host]
        yield receiver


@pytest.fixture
def committed(django_capture_on_commit_callbacks, eager):
    """`with committed():` runs what waits for the commit (the outbox's publishing) at the end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def endpoint_for(office, receiver, events=ALL_EVENTS) -> WebhookEndpoint:
    return services.webhook_create(by=office, url=receiver.url, events=events)


def sent(receiver, event_type=None) -> list[dict]:
    return [
        request
        for request in receiver.requests
        if event_type is None or request["headers"]["X-WinterAction-Event"] == event_type
    ]


def body(request) -> dict:
    return json.loads(request["raw"])


# ---- What is sent -------------------------------------------------------------------------------------------


def test_a_new_task_reaches_the_endpoint_signed_with_its_secret(world, receiver, committed):
    endpoint = endpoint_for(world.office, receiver)
    with committed():
        task = world.task()
    (request,) = sent(receiver)
    headers = request["headers"]
    stamp = headers["X-WinterAction-Timestamp"]
    expected = hmac.new(endpoint.secret.encode(), f"{stamp}.".encode() + request["raw"], hashlib.sha256)
    assert headers["X-WinterAction-Signature"] == f"sha256={expected.hexdigest()}"
    payload = body(request)
    assert (payload["type"], headers["X-WinterAction-Event"]) == ("task.created", "task.created")
    assert payload["id"] == headers["X-WinterAction-Delivery"] == str(WebhookEvent.objects.get().uuid)
    assert payload["data"]["id"] == task.pk
    assert payload["data"]["url"].endswith(f"/api/v1/tasks/{task.pk}/")
    assert request["path"] == "/hooks/winteraction"


def test_a_progress_report_and_a_close_out_are_sent_with_their_types(world, receiver, committed):
    endpoint_for(world.office, receiver)
    task = world.task()
    with committed():
        report = task_services.progress_report(
            task=task, by=world.wanan_official, percent=100, done="全部完成"
        )
        task_services.task_request_close(task=task, by=world.wanan_official)
        task_services.task_close(task=task, by=world.office)
    (reported,) = sent(receiver, "progress.reported")
    assert body(reported)["data"]["id"] == report.pk
    assert body(reported)["data"]["task"]["id"] == task.pk
    (closed,) = sent(receiver, "task.closed")
    assert body(closed)["data"]["status"] == "closed"
    assert len(sent(receiver, "task.updated")) == 1  # the close-out request


def test_an_issued_order_is_sent_to_the_region_of_the_addressed_unit(world, receiver, committed):
    endpoint_for(world.office, receiver)
    with committed():
        order = services.order_issue(
            group=world.group,
            by=world.inspector,
            unit=world.wanan,
            problem="隐患排查台账未按周更新",
            requirement="一周内补齐台账",
            deadline=days(7),
        )
    (request,) = sent(receiver, "order.issued")
    assert body(request)["data"]["number"] == order.number


def test_a_verified_order_is_sent_as_closed(world, receiver, committed):
    endpoint_for(world.office, receiver)
    order = services.order_issue(
        group=world.group,
        by=world.inspector,
        unit=world.wanan,
        problem="隐患排查台账未按周更新",
        requirement="一周内补齐台账",
        deadline=days(7),
    )
    services.order_acknowledge(order=order, by=world.wanan_official)
    services.order_report_rectification(order=order, by=world.wanan_official, text="台账已补齐")
    with committed():
        services.order_verify(order=order, by=world.inspector)
    (request,) = sent(receiver, "order.closed")
    assert (body(request)["data"]["id"], body(request)["data"]["status"]) == (order.pk, "closed")


def test_an_issued_bulletin_is_sent(world, receiver, committed):
    endpoint_for(world.office, receiver, events=["bulletin.issued"])
    bulletin = services.bulletin_sign(bulletin=draft_bulletin(world), by=world.leader)
    with committed():
        services.bulletin_issue(bulletin=bulletin, by=world.office)
    (request,) = sent(receiver)
    assert body(request)["type"] == "bulletin.issued"
    assert (body(request)["data"]["id"], body(request)["data"]["number"]) == (bulletin.pk, 1)


def test_an_event_the_endpoint_did_not_subscribe_to_is_not_sent(world, receiver, committed):
    endpoint_for(world.office, receiver, events=["task.closed"])
    with committed():
        task = world.task()
        task_services.progress_report(task=task, by=world.wanan_official, percent=30, done="已排查两处")
    assert receiver.requests == []
    assert not WebhookEvent.objects.exists()


def test_another_countys_endpoint_gets_nothing_of_this_county(world, receiver, committed):
    endpoint_for(world.other_office, receiver)
    with committed():
        world.task()
    assert receiver.requests == []


def test_the_citys_endpoint_gets_its_counties_events(world, receiver, committed):
    endpoint_for(world.city_office, receiver)
    with committed():
        world.task()
    assert len(sent(receiver, "task.created")) == 1


def test_a_disabled_endpoint_gets_nothing(world, receiver, committed):
    endpoint = endpoint_for(world.office, receiver)
    services.webhook_update(endpoint=endpoint, by=world.office, enabled=False)
    with committed():
        world.task()
    assert receiver.requests == []


# ---- Failures, retries, redelivery --------------------------------------------------------------------------


def test_a_retry_after_a_500_sends_the_same_event_id_and_body(world, receiver, committed, time_machine):
    endpoint_for(world.office, receiver)
    receiver.reply(500)
    with committed():
        world.task()
    delivery = Delivery.objects.get(webhook__isnull=False)
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 1)
    time_machine.move_to(delivery.next_attempt_at + datetime.timedelta(seconds=1))
    outbox.send_pending_now()
    first, second = sent(receiver)
    assert first["headers"]["X-WinterAction-Delivery"] == second["headers"]["X-WinterAction-Delivery"]
    assert first["raw"] == second["raw"]
    assert Delivery.objects.get(pk=delivery.pk).state == DeliveryState.SENT


@pytest.fixture
def refused(world, receiver, committed):
    """The receiver answered 410 Gone to a new task's event."""
    endpoint_for(world.office, receiver)
    receiver.reply(410)
    with committed():
        world.task()
    return Delivery.objects.get(webhook__isnull=False)


def test_a_410_fails_at_once_and_shows_on_the_failed_deliveries_page(refused, client, world):
    assert (refused.state, refused.attempts, refused.last_error) == (DeliveryState.FAILED, 1, "HTTP 410")
    client.force_login(world.office)
    page = client.get(reverse("office-deliveries"), {"state": "failed"}).content.decode()
    assert f'data-delivery="{refused.pk}"' in page
    assert "task.created" in page


def test_the_failed_webhook_delivery_is_not_on_another_countys_page(refused, client, world):
    client.force_login(world.other_office)
    page = client.get(reverse("office-deliveries"), {"state": "failed"}).content.decode()
    assert f'data-delivery="{refused.pk}"' not in page


def test_redelivery_by_hand_sends_the_same_event_again(refused, client, world, receiver, committed):
    client.force_login(world.office)
    with committed():
        client.post(reverse("office-delivery-retry", args=[refused.pk]))
    first, second = sent(receiver)
    assert first["headers"]["X-WinterAction-Delivery"] == second["headers"]["X-WinterAction-Delivery"]
    assert Delivery.objects.get(pk=refused.pk).state == DeliveryState.SENT


def test_a_failing_endpoint_does_not_turn_the_save_into_an_error(world, receiver, committed, api):
    endpoint_for(world.office, receiver)
    task = world.task()
    for _ in range(3):
        receiver.reply(500)
    with committed():
        response = api(world.wanan_official).post(
            f"/api/v1/tasks/{task.pk}/progress-reports/", {"percent": 40, "done": "完成排查"}, format="json"
        )
    assert response.status_code == 201
    assert len(sent(receiver, "progress.reported")) == 1
    delivery = Delivery.objects.get(webhook_event__type="progress.reported")
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 1)


def test_a_change_that_rolls_back_records_no_event(world, receiver):
    endpoint_for(world.office, receiver)
    with pytest.raises(RuntimeError), transaction.atomic():
        world.task()
        raise RuntimeError("the request failed after the save")
    assert not WebhookEvent.objects.exists()
    assert not Delivery.objects.filter(webhook__isnull=False).exists()


# ---- Set-based ------------------------------------------------------------------------------------------------


def _import(world, count: int):
    from tasks.imports import import_commit, import_preview
    from tests.import_workbooks import task_list_bytes, upload

    rows = [[n, "安全生产专项行动", f"导入的任务{n}", "万安镇", "", "", "12月底前", ""] for n in range(count)]
    batch = import_preview(
        campaign=world.campaign, file=upload("清单.xlsx", task_list_bytes(rows)), by=world.office
    )
    return import_commit(batch=batch, by=world.office)


def test_an_import_records_its_events_in_statements_that_do_not_grow_with_its_rows(world, receiver):
    endpoint_for(world.office, receiver)

    def webhook_statements(count):
        with CaptureQueriesContext(connection) as queries:
            _import(world, count)
        tables = ("supervision_webhookevent", "supervision_webhookendpoint", "supervision_delivery")
        return sum(1 for query in queries if any(table in query["sql"] for table in tables))

    assert webhook_statements(2) == webhook_statements(20)
    tasks = Task.objects.filter(campaign=world.campaign).count()
    assert WebhookEvent.objects.filter(type="task.created").count() == tasks
    assert Delivery.objects.filter(webhook_event__type="task.created").count() == tasks


# ---- The address connected to is the address checked -----------------------------------------------------


@pytest.fixture
def listener():
    """A TCP port on 127.0.0.1 that counts the connections it is offered."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    seen = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _address = server.accept()
            except OSError:
                continue
            seen.append(conn)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], seen
    stop.set()
    thread.join(timeout=2)
    server.close()


@pytest.fixture
def rebinding(settings, monkeypatch, listener):
    """An allowed name that resolves to a public address once (the check), then to 127.0.0.1, where
    `listener` counts connections. Returns (url, connections seen, names looked up)."""
    port, seen = listener
    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.integrator.example"]
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    answers = iter(["93.184.216.34"])
    lookups = []

    def resolve(host, port, *args, **kwargs):
        try:
            address = str(ipaddress.ip_address(host))  # a literal resolves to itself
        except ValueError:
            lookups.append(host)
            address = next(answers, "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    return f"https://hooks.integrator.example:{port}/in", seen, lookups


def test_a_webhook_name_that_rebinds_to_loopback_after_the_check_is_not_reached(rebinding):
    url, seen, lookups = rebinding
    with pytest.raises(channels.TransientError):
        channels.post(url, b"{}", {})
    assert seen == []
    assert lookups == ["hooks.integrator.example"]


def test_a_robot_name_that_rebinds_to_loopback_after_the_check_is_not_reached(rebinding):
    url, seen, _lookups = rebinding
    message = Message(title="【逾期催办】", lines=[], url="https://ducha.example/tasks/1/", items=[])
    with pytest.raises(channels.TransientError):
        channels.send(Delivery(channel=Channel.WECOM, address=url), message)
    assert seen == []


# ---- The office's page ----------------------------------------------------------------------------------------


def test_the_office_adds_an_endpoint_on_its_page_and_sees_its_secret(client, world, receiver):
    client.force_login(world.office)
    response = client.post(
        reverse("office-webhooks"), {"url": receiver.url, "events": ["task.created", "order.issued"]}
    )
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.region, endpoint.events) == (world.county, ["task.created", "order.issued"])
    assert endpoint.secret in client.get(reverse("office-webhooks")).content.decode()


def test_an_address_outside_the_allowlist_is_refused_on_the_page(client, world, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.integrator.example"]
    client.force_login(world.office)
    response = client.post(
        reverse("office-webhooks"), {"url": "https://10.0.0.8/in", "events": ["task.created"]}
    )
    assert response.status_code == 400
    assert not WebhookEndpoint.objects.exists()


def test_another_countys_office_neither_sees_nor_changes_the_endpoint(client, world, receiver):
    endpoint = endpoint_for(world.office, receiver)
    client.force_login(world.other_office)
    assert endpoint.secret not in client.get(reverse("office-webhooks")).content.decode()
    assert client.post(reverse("office-webhook-toggle", args=[endpoint.pk])).status_code == 404
    assert client.post(reverse("office-webhook-delete", args=[endpoint.pk])).status_code == 404
    assert WebhookEndpoint.objects.get().enabled


def test_a_unit_official_cannot_open_the_webhooks_page(client, world):
    client.force_login(world.wanan_official)
    assert client.get(reverse("office-webhooks")).status_code == 403


def test_the_office_turns_an_endpoint_off_on_its_page(client, world, receiver):
    endpoint = endpoint_for(world.office, receiver)
    client.force_login(world.office)
    client.post(reverse("office-webhook-toggle", args=[endpoint.pk]))
    assert not WebhookEndpoint.objects.get().enabled


def test_the_delivery_timestamp_is_the_time_of_sending(world, receiver, committed, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    endpoint_for(world.office, receiver)
    with committed():
        world.task()
    (request,) = sent(receiver)
    assert int(request["headers"]["X-WinterAction-Timestamp"]) == int(timezone.now().timestamp())
