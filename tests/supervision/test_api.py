"""Inspections, findings and supervision orders over HTTP: anonymous (401), out of scope (404),
forbidden (403), allowed, impossible steps (409), the one error shape, ids of hidden rows, filters and
fixed query counts."""

import datetime

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from supervision import services
from supervision.models import Finding, Inspection, OrderStatus, SupervisionOrder
from tests.factories import days

API = "/api/v1/"
ORDERS = f"{API}supervision-orders/"
INSPECTIONS = f"{API}inspections/"
FINDINGS = f"{API}findings/"


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()


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


def record(world, **kwargs):
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


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}
    assert body["code"] == code
    assert body["detail"]
    return body


@pytest.fixture
def rows(world):
    finding = record(world).findings.get()
    return {"order": issue(world), "inspection": finding.inspection, "finding": finding}


def routes(rows):
    order, inspection, finding = rows["order"].pk, rows["inspection"].pk, rows["finding"].pk
    return {
        ("get", ORDERS),
        ("post", ORDERS),
        ("get", f"{ORDERS}{order}/"),
        ("get", f"{ORDERS}{order}/timeline/"),
        ("post", f"{ORDERS}{order}/acknowledge/"),
        ("post", f"{ORDERS}{order}/report-rectification/"),
        ("post", f"{ORDERS}{order}/verify/"),
        ("post", f"{ORDERS}{order}/return/"),
        ("get", INSPECTIONS),
        ("post", INSPECTIONS),
        ("get", f"{INSPECTIONS}{inspection}/"),
        ("get", FINDINGS),
        ("get", f"{FINDINGS}{finding}/"),
        ("post", f"{FINDINGS}{finding}/issue-order/"),
    }


# ---- Anonymous and out of scope ------------------------------------------------------------------------


def test_every_endpoint_asks_an_anonymous_caller_to_sign_in(world, rows, api):
    for method, url in sorted(routes(rows)):
        response = getattr(api(), method)(url, {}, format="json")
        assert_error(response, 401, "not_authenticated")
        assert response.headers["WWW-Authenticate"].startswith("Token")


def test_another_countys_official_gets_404_for_every_row(world, rows, api):
    client = api(world.other_official)
    for method, url in sorted(routes(rows)):
        if url in (ORDERS, INSPECTIONS, FINDINGS):
            continue
        assert_error(getattr(client, method)(url, {}, format="json"), 404, "not_found")


def test_another_countys_official_sees_empty_lists(world, rows, api):
    client = api(world.other_official)
    for url in (ORDERS, INSPECTIONS, FINDINGS):
        assert client.get(url).json()["count"] == 0, url


def test_an_order_out_of_scope_answers_like_one_that_does_not_exist(world, rows, api):
    client = api(world.other_official)
    hidden = client.get(f"{ORDERS}{rows['order'].pk}/").json()
    missing = client.get(f"{ORDERS}999999/").json()
    assert hidden == missing


def test_the_county_sees_orders_to_its_townships_and_the_inspector_its_groups(world, rows, api):
    for user in (
        world.office,
        world.shanmu_official,
        world.wanan_official,
        world.inspector,
        world.city_office,
    ):
        assert api(user).get(ORDERS).json()["count"] == 1, user


def test_the_issuing_group_sees_its_orders_beyond_its_members_home(world, rows, api):
    # The inspector's home is 尧都区; the order lies in 洪洞县, the group's scope.
    body = api(world.inspector).get(f"{ORDERS}{rows['order'].pk}/").json()
    assert body["unit"]["id"] == world.wanan.pk


# ---- Supervision orders ------------------------------------------------------------------------------


def order_body(world, **kwargs):
    body = {
        "group": world.group.pk,
        "unit": world.wanan.pk,
        "cooperating_units": [world.yingji.pk],
        "problem": "取暖季燃气安全隐患排查不到位",
        "requirement": "三日内完成排查并报送台账",
        "deadline": days(3).isoformat(),
        "urgency": "red",
    }
    body.update(kwargs)
    return body


def test_an_inspector_issues_an_order(world, api):
    task = world.task()
    response = api(world.inspector).post(ORDERS, order_body(world, tasks=[task.pk]), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == f"{world.group.name}〔{timezone.localdate().year}〕1号"
    assert (body["status"], body["urgency"], body["is_overdue"]) == ("issued", "red", False)
    assert [u["id"] for u in body["cooperating_units"]] == [world.yingji.pk]
    assert [t["id"] for t in body["tasks"]] == [task.pk]
    assert [e["kind"] for e in body["events"]] == ["issued"]
    assert response.headers["ETag"]


def test_a_county_office_person_outside_the_group_cannot_issue(world, api):
    response = api(world.office).post(ORDERS, order_body(world), format="json")
    assert_error(response, 403, "permission_denied")
    assert not SupervisionOrder.objects.exists()


def test_a_unit_outside_the_groups_scope_cannot_be_addressed(world, api):
    # 屯里镇 is visible to the inspector (their home is 尧都区) but not in the group's scope.
    response = api(world.inspector).post(ORDERS, order_body(world, unit=world.other_town.pk), format="json")
    body = assert_error(response, 400, "invalid")
    assert list(body["fields"]) == ["unit"]


def test_a_hidden_group_answers_like_a_missing_one(world, api):
    county_group = services.group_create(
        name="县两办第一督导组",
        issuing_unit=world.county,
        by=world.office,
        leader=world.office,
        scope_units=[world.wanan],
    )
    client = api(world.other_official)  # 尧都区 does not read 洪洞县's own groups
    hidden = client.post(ORDERS, order_body(world, group=county_group.pk), format="json")
    missing = client.post(ORDERS, order_body(world, group=999999), format="json")
    hidden, missing = assert_error(hidden, 400, "invalid"), assert_error(missing, 400, "invalid")
    assert hidden["fields"]["group"] == [
        m.replace("999999", str(county_group.pk)) for m in missing["fields"]["group"]
    ]


def test_a_hidden_unit_answers_like_a_missing_one(world, api):
    client = api(world.office)  # reads 洪洞县, not 尧都区's 屯里镇
    hidden = client.post(ORDERS, order_body(world, cooperating_units=[world.other_town.pk]), format="json")
    missing = client.post(ORDERS, order_body(world, cooperating_units=[999999]), format="json")
    hidden, missing = assert_error(hidden, 400, "invalid"), assert_error(missing, 400, "invalid")
    assert list(hidden["fields"]) == list(missing["fields"]) == ["cooperating_units"]
    assert hidden["fields"]["cooperating_units"] == [
        m.replace("999999", str(world.other_town.pk)) for m in missing["fields"]["cooperating_units"]
    ]


def test_an_order_needs_its_fields(world, api):
    body = assert_error(api(world.inspector).post(ORDERS, {}, format="json"), 400, "invalid")
    assert {"group", "unit", "problem", "requirement", "deadline"} <= set(body["fields"])


def test_text_fields_take_only_text(world, api):
    response = api(world.inspector).post(ORDERS, order_body(world, problem=12), format="json")
    assert list(assert_error(response, 400, "invalid")["fields"]) == ["problem"]


def test_the_whole_lifecycle_over_http(world, api):
    order = issue(world)
    url = f"{ORDERS}{order.pk}/"
    township, inspector = api(world.wanan_official), api(world.inspector)

    response = township.post(f"{url}acknowledge/")
    assert (response.status_code, response.json()["status"]) == (200, "acknowledged")
    response = township.post(f"{url}report-rectification/", {"text": "已停产整顿"}, format="json")
    assert (response.status_code, response.json()["rectification"]) == (200, "已停产整顿")
    response = inspector.post(f"{url}return/", {"reason": "材料不全"}, format="json")
    assert (response.status_code, response.json()["status"], response.json()["returned"]) == (
        200,
        "acknowledged",
        True,
    )
    township.post(f"{url}report-rectification/", {"text": "已补齐材料"}, format="json")
    response = inspector.post(f"{url}verify/", {"note": "现场核验合格"}, format="json")
    body = response.json()
    assert (response.status_code, body["status"], body["closed_at"] is not None) == (200, "closed", True)

    timeline = township.get(f"{url}timeline/").json()
    assert [(e["kind"], e["actor"]["id"], e["note"]) for e in timeline] == [
        ("issued", world.inspector.pk, ""),
        ("acknowledged", world.wanan_official.pk, ""),
        ("rectified", world.wanan_official.pk, "已停产整顿"),
        ("returned", world.inspector.pk, "材料不全"),
        ("rectified", world.wanan_official.pk, "已补齐材料"),
        ("closed", world.inspector.pk, "现场核验合格"),
    ]
    assert township.get(url).json()["events"] == timeline


def test_acknowledging_twice_is_a_conflict(world, api):
    order = issue(world)
    client = api(world.wanan_official)
    client.post(f"{ORDERS}{order.pk}/acknowledge/")
    body = assert_error(client.post(f"{ORDERS}{order.pk}/acknowledge/"), 409, "invalid_transition")
    assert "已签收" in body["detail"]
    assert SupervisionOrder.objects.get(pk=order.pk).events.count() == 2


def test_verifying_an_unrectified_order_is_a_conflict(world, api):
    order = issue(world)
    assert_error(
        api(world.inspector).post(f"{ORDERS}{order.pk}/verify/", {}, format="json"), 409, "invalid_transition"
    )
    assert SupervisionOrder.objects.get(pk=order.pk).status == OrderStatus.ISSUED


def test_another_township_cannot_acknowledge(world, api):
    order = issue(world)
    assert_error(
        api(world.shanmu_official).post(f"{ORDERS}{order.pk}/acknowledge/"), 403, "permission_denied"
    )
    assert SupervisionOrder.objects.get(pk=order.pk).status == OrderStatus.ISSUED


def test_a_county_office_person_outside_the_group_cannot_verify(world, api):
    order = issue(world)
    order = services.order_acknowledge(order=order, by=world.wanan_official)
    services.order_report_rectification(order=order, by=world.wanan_official, text="已整改")
    response = api(world.office).post(f"{ORDERS}{order.pk}/verify/", {}, format="json")
    assert_error(response, 403, "permission_denied")
    assert SupervisionOrder.objects.get(pk=order.pk).status == OrderStatus.RECTIFIED


def test_a_rectification_needs_a_text(world, api):
    order = services.order_acknowledge(order=issue(world), by=world.wanan_official)
    response = api(world.wanan_official).post(f"{ORDERS}{order.pk}/report-rectification/", {}, format="json")
    assert list(assert_error(response, 400, "invalid")["fields"]) == ["text"]


def test_a_return_needs_a_reason(world, api):
    order = services.order_acknowledge(order=issue(world), by=world.wanan_official)
    services.order_report_rectification(order=order, by=world.wanan_official, text="已整改")
    response = api(world.inspector).post(f"{ORDERS}{order.pk}/return/", {"reason": ""}, format="json")
    assert list(assert_error(response, 400, "invalid")["fields"]) == ["reason"]


def test_a_stale_etag_refuses_the_step(world, api):
    order = issue(world)
    client = api(world.wanan_official)
    etag = client.get(f"{ORDERS}{order.pk}/").headers["ETag"]
    assert client.get(f"{ORDERS}{order.pk}/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    client.post(f"{ORDERS}{order.pk}/acknowledge/", HTTP_IF_MATCH=etag)
    response = client.post(
        f"{ORDERS}{order.pk}/report-rectification/", {"text": "已整改"}, format="json", HTTP_IF_MATCH=etag
    )
    assert_error(response, 412, "precondition_failed")


def test_a_read_only_role_cannot_step(world, api):
    from tasks import services as task_services

    viewer = task_services.person_create(
        by=None, username="viewer", unit=world.wanan, role="readonly", password="winteraction"
    )
    order = issue(world)
    assert_error(api(viewer).post(f"{ORDERS}{order.pk}/acknowledge/"), 403, "permission_denied")


# ---- Order filters --------------------------------------------------------------------------------------


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_orders_filter_by_status_unit_and_urgency(world, api):
    to_wanan = issue(world, urgency="red")
    to_shanmu = issue(world, unit=world.shanmu)
    services.order_acknowledge(order=to_shanmu, by=world.shanmu_official)
    client = api(world.office)
    assert ids(client.get(ORDERS, {"status": "acknowledged"})) == {to_shanmu.pk}
    assert ids(client.get(ORDERS, {"unit": world.wanan.pk})) == {to_wanan.pk}
    assert ids(client.get(ORDERS, {"urgency": "red"})) == {to_wanan.pk}
    assert ids(client.get(ORDERS, {"group": world.group.pk})) == {to_wanan.pk, to_shanmu.pk}


def test_overdue_orders_are_past_their_deadline_and_not_closed(world, api):
    late = issue(world, deadline=days(1))
    done = services.order_acknowledge(order=issue(world, deadline=days(1)), by=world.wanan_official)
    done = services.order_report_rectification(order=done, by=world.wanan_official, text="已整改")
    services.order_verify(order=done, by=world.inspector)
    on_time = issue(world, deadline=days(10))
    with time_machine.travel(timezone.now() + datetime.timedelta(days=3)):
        client = api(world.office)
        assert ids(client.get(ORDERS, {"overdue": "true"})) == {late.pk}
        assert ids(client.get(ORDERS, {"overdue": "false"})) == {done.pk, on_time.pk}
        assert client.get(f"{ORDERS}{late.pk}/").json()["is_overdue"] is True


def test_a_filter_value_that_is_not_valid_is_a_400(world, api):
    client = api(world.office)
    assert_error(client.get(ORDERS, {"overdue": "maybe"}), 400, "invalid")
    assert_error(client.get(ORDERS, {"status": "lost"}), 400, "invalid")


# ---- Inspections and findings ----------------------------------------------------------------------------


def inspection_body(world, **kwargs):
    body = {
        "group": world.group.pk,
        "kind": "spot_check",
        "date": days(0).isoformat(),
        "summary": "抽查万安镇、山目乡煤矿安全",
        "units": [world.wanan.pk, world.shanmu.pk],
        "findings": [
            {"unit": world.wanan.pk, "text": "井下通风记录缺失"},
            {"unit": world.shanmu.pk, "text": "应急预案未演练"},
        ],
    }
    body.update(kwargs)
    return body


def test_an_inspector_records_an_inspection_with_findings(world, api):
    task = world.task()
    body = inspection_body(world, tasks=[task.pk])
    body["findings"][0]["task"] = task.pk
    response = api(world.inspector).post(INSPECTIONS, body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["kind"], data["group"]["id"], data["created_by"]["id"]) == (
        "spot_check",
        world.group.pk,
        world.inspector.pk,
    )
    assert [u["id"] for u in data["units_visited"]] == [world.wanan.pk, world.shanmu.pk]
    assert [t["id"] for t in data["tasks_checked"]] == [task.pk]
    assert [(f["unit"]["id"], f["task"] and f["task"]["id"], f["order"]) for f in data["findings"]] == [
        (world.wanan.pk, task.pk, None),
        (world.shanmu.pk, None, None),
    ]


def test_a_county_office_person_outside_the_group_cannot_record(world, api):
    assert_error(
        api(world.office).post(INSPECTIONS, inspection_body(world), format="json"), 403, "permission_denied"
    )
    assert not Inspection.objects.exists()


def test_a_finding_about_a_hidden_unit_answers_like_a_missing_one(world, api):
    client = api(world.office)
    body = inspection_body(world, findings=[{"unit": world.other_town.pk, "text": "问题"}])
    response = assert_error(client.post(INSPECTIONS, body, format="json"), 400, "invalid")
    assert list(response["fields"]) == ["findings"]


def test_an_inspection_in_the_future_is_refused(world, api):
    response = api(world.inspector).post(
        INSPECTIONS, inspection_body(world, date=days(1).isoformat()), format="json"
    )
    assert list(assert_error(response, 400, "invalid")["fields"]) == ["date"]


def test_inspections_filter_by_kind_and_date(world, api):
    old = record(world, date=days(-10), kind="symposium")
    new = record(world)
    client = api(world.office)
    assert ids(client.get(INSPECTIONS, {"kind": "symposium"})) == {old.pk}
    assert ids(client.get(INSPECTIONS, {"date_after": days(-5).isoformat()})) == {new.pk}
    assert ids(client.get(INSPECTIONS, {"date_before": days(-5).isoformat()})) == {old.pk}
    assert ids(client.get(INSPECTIONS, {"group": world.group.pk})) == {old.pk, new.pk}


def test_the_county_reads_the_groups_inspections_and_findings(world, rows, api):
    client = api(world.wanan_official)
    assert ids(client.get(INSPECTIONS)) == {rows["inspection"].pk}
    assert ids(client.get(FINDINGS)) == {rows["finding"].pk}
    assert client.get(f"{FINDINGS}{rows['finding'].pk}/").json()["text"] == "井下通风记录缺失"


def test_an_inspector_turns_a_finding_into_an_order(world, rows, api):
    finding = rows["finding"]
    body = {"requirement": "补齐通风记录", "deadline": days(5).isoformat(), "urgency": "yellow"}
    response = api(world.inspector).post(f"{FINDINGS}{finding.pk}/issue-order/", body, format="json")
    assert response.status_code == 201, response.content
    order = response.json()
    assert (order["finding"], order["problem"], order["unit"]["id"], order["urgency"]) == (
        finding.pk,
        "井下通风记录缺失",
        world.wanan.pk,
        "yellow",
    )
    assert api(world.inspector).get(f"{FINDINGS}{finding.pk}/").json()["order"]["id"] == order["id"]
    again = api(world.inspector).post(f"{FINDINGS}{finding.pk}/issue-order/", body, format="json")
    assert_error(again, 409, "invalid_transition")
    assert Finding.objects.get(pk=finding.pk).order.pk == order["id"]


def test_the_township_cannot_turn_a_finding_into_an_order(world, rows, api):
    body = {"requirement": "补齐通风记录", "deadline": days(5).isoformat()}
    response = api(world.wanan_official).post(
        f"{FINDINGS}{rows['finding'].pk}/issue-order/", body, format="json"
    )
    assert_error(response, 403, "permission_denied")


# ---- Fixed query counts --------------------------------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_order_list_runs_as_many_queries_for_20_orders_as_for_2(world, api):
    tasks = [world.task(), world.task(title="燃气安全")]

    def add(n):
        for _ in range(n):
            issue(world, tasks=tasks, cooperating_units=[world.yingji, world.shanmu])

    client = api(world.office)
    add(2)
    small = count_queries(client, ORDERS)
    add(18)
    assert count_queries(client, ORDERS) == small
    assert client.get(ORDERS).json()["count"] == 20


def test_the_inspection_and_finding_lists_run_a_fixed_number_of_queries(world, api):
    task = world.task()

    def add(n):
        for _ in range(n):
            inspection = record(
                world,
                tasks=[task],
                findings=[
                    {"unit": world.wanan, "task": task, "text": "问题一"},
                    {"unit": world.shanmu, "text": "问题二"},
                ],
            )
            issue(world, finding=inspection.findings.first())

    client = api(world.office)
    add(2)
    small = count_queries(client, INSPECTIONS), count_queries(client, FINDINGS)
    add(18)
    assert (count_queries(client, INSPECTIONS), count_queries(client, FINDINGS)) == small
