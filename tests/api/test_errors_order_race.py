"""Two members of a group turn the same finding into an order at the same moment (PostgreSQL, two
connections): one order is issued, the other caller gets a 409 in the error shape, not a 500."""

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from supervision import services
from supervision.models import OrderSequence, SupervisionOrder
from tests.factories import days

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def finding(world, postgres):
    inspection = services.inspection_record(
        group=world.group,
        by=world.inspector,
        kind="on_site",
        date=days(0),
        summary="实地检查万安镇煤矿",
        units=[world.wanan],
        findings=[{"unit": world.wanan, "text": "井下通风记录缺失"}],
    )
    return inspection.findings.get()


def waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def in_parallel(group, calls):
    """Run `calls` each in its own thread (its own database connection) while the group's order
    numbers are held, release them once every call waits on a lock, and return the results."""
    results = [None] * len(calls)

    def run(i, call):
        try:
            results[i] = call()
        finally:
            connections.close_all()

    with transaction.atomic():
        OrderSequence.objects.bulk_create(
            [OrderSequence(group=group, year=timezone.localdate().year)],
            ignore_conflicts=True,
        )
    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    with transaction.atomic():
        OrderSequence.objects.select_for_update().get(group=group)
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while waiting_on_locks() < len(calls) and time.monotonic() < deadline:
            time.sleep(0.05)
    for thread in threads:
        thread.join(timeout=20)
    return results


def test_the_second_of_two_simultaneous_issues_of_a_finding_gets_a_409(world, finding, api):
    body = {"requirement": "补齐通风记录", "deadline": days(5).isoformat(), "urgency": "yellow"}
    clients = [api(world.inspector), api(world.inspector)]
    for client in clients:
        client.raise_request_exception = False
    url = f"/api/v1/findings/{finding.pk}/issue-order/"

    responses = in_parallel(world.group, [lambda c=c: c.post(url, body, format="json") for c in clients])

    assert sorted(r.status_code for r in responses) == [201, 409]
    loser = next(r for r in responses if r.status_code == 409).json()
    assert (loser["code"], set(loser)) == ("invalid_transition", {"code", "detail", "fields"})
    assert SupervisionOrder.objects.filter(finding=finding).count() == 1


def test_the_second_of_two_simultaneous_issues_from_the_page_sees_a_message(world, finding):
    from django.test import Client

    prefix = f"finding-{finding.pk}-"
    form = {
        prefix + "problem": finding.text,
        prefix + "requirement": "三日内补齐通风记录",
        prefix + "deadline": days(5).isoformat(),
        prefix + "urgency": "yellow",
    }
    clients = [Client(raise_request_exception=False), Client(raise_request_exception=False)]
    for client in clients:
        client.force_login(world.inspector)
    url = f"/supervision/findings/{finding.pk}/issue-order/"

    responses = in_parallel(world.group, [lambda c=c: c.post(url, form) for c in clients])

    assert [r.status_code for r in responses] == [302, 302]
    inspection_page = f"/supervision/inspections/{finding.inspection_id}/"
    loser = next(i for i, r in enumerate(responses) if r.url == inspection_page)
    assert "这个问题已经下发过督办单" in clients[loser].get(inspection_page).content.decode()
    assert SupervisionOrder.objects.filter(finding=finding).count() == 1
