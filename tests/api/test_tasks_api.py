"""The task endpoints over HTTP: every action, the timeline, evidence uploads, idempotent retries,
ETags and conditional writes, filters, ordering and pagination."""

import base64
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from tasks import services
from tasks.models import Attachment, ExtensionRequest, Milestone, ProgressReport, Task, TaskEvent
from tests.factories import days

TASKS = "/api/v1/tasks/"
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
# A 1×1 PNG: the photo a township official takes of the rectified hazard.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
)


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def client_for():
    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_login(user)
        return client

    return make


def photo(name="photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def in_progress(world, **kwargs) -> Task:
    task = world.task(**kwargs)
    services.progress_report(task=task, by=world.wanan_official, percent=20, done="已启动排查")
    return task


def awaiting_close(world) -> Task:
    task = in_progress(world)
    services.task_request_close(task=task, by=world.wanan_official, note="已全部整改")
    return task


def with_milestone(world) -> Task:
    task = world.task()
    services.milestone_add(task=task, by=world.office, title="完成摸底", due_date=days(5))
    return task


def with_extension(world) -> Task:
    task = in_progress(world)
    services.extension_request(task=task, by=world.wanan_official, new_deadline=days(20), reason="设备未到货")
    return task


def ids(response) -> list[int]:
    return [row["id"] for row in response.data["results"]]


# ---- Every action ----------------------------------------------------------------------------------


@dataclass
class Action:
    prepare: Callable
    caller: str
    method: str
    url: Callable
    body: Callable
    status: int
    event: str
    check: Callable
    format: str = "json"
    # The task whose timeline gets the event (a created task is only known from the response).
    timeline_of: Callable = field(default=lambda task, data: task.pk)


ACTIONS = {
    "edit task": Action(
        prepare=lambda w: w.task(),
        caller="office",
        method="patch",
        url=lambda w, t: f"{TASKS}{t.pk}/",
        body=lambda w, t: {"title": "煤矿隐患排查整治(修订)"},
        status=200,
        event="updated",
        check=lambda w, t, data: data["id"] == t.pk and data["title"] == "煤矿隐患排查整治(修订)",
    ),
    "reassign task": Action(
        prepare=lambda w: w.task(),
        caller="office",
        method="patch",
        url=lambda w, t: f"{TASKS}{t.pk}/",
        body=lambda w, t: {"cooperating_units": [w.shanmu.pk], "note": "山目乡配合"},
        status=200,
        event="assigned",
        check=lambda w, t, data: [unit["id"] for unit in data["cooperating_units"]] == [w.shanmu.pk],
    ),
    "report progress": Action(
        prepare=lambda w: w.task(),
        caller="wanan_official",
        method="post",
        url=lambda w, t: f"{TASKS}{t.pk}/progress-reports/",
        body=lambda w, t: {"percent": 40, "done": "已排查 12 处"},
        status=201,
        event="progress_reported",
        check=lambda w, t, data: data["task"] == t.pk and data["percent"] == 40,
    ),
    "request close": Action(
        prepare=in_progress,
        caller="wanan_official",
        method="post",
        url=lambda w, t: f"{TASKS}{t.pk}/request-close/",
        body=lambda w, t: {"note": "已全部整改"},
        status=200,
        event="close_requested",
        check=lambda w, t, data: data["status"] == "awaiting_close" and data["progress"] == 100,
    ),
    "close": Action(
        prepare=awaiting_close,
        caller="office",
        method="post",
        url=lambda w, t: f"{TASKS}{t.pk}/close/",
        body=lambda w, t: {},
        status=200,
        event="closed",
        check=lambda w, t, data: data["status"] == "closed" and data["closed_at"] is not None,
    ),
    "return": Action(
        prepare=awaiting_close,
        caller="office",
        method="post",
        url=lambda w, t: f"{TASKS}{t.pk}/return/",
        body=lambda w, t: {"reason": "缺少佐证照片"},
        status=200,
        event="returned",
        check=lambda w, t, data: data["status"] == "in_progress" and data["returned"] is True,
    ),
    "cancel": Action(
        prepare=lambda w: w.task(),
        caller="office",
        method="post",
        url=lambda w, t: f"{TASKS}{t.pk}/cancel/",
        body=lambda w, t: {"reason": "与其他任务重复"},
        status=200,
        event="cancelled",
        check=lambda w, t, data: data["status"] == "cancelled",
    ),
    "request extension": Action(
        prepare=in_progress,
        caller="wanan_official",
        method="post",
        url=lambda w, t: f"{TASKS}{t.pk}/extension-requests/",
        body=lambda w, t: {"new_deadline": days(20).isoformat(), "reason": "设备未到货"},
        status=201,
        event="extension_requested",
        check=lambda w, t, data: data["status"] == "pending" and data["new_deadline"] == days(20).isoformat(),
    ),
    "approve extension": Action(
        prepare=with_extension,
        caller="office",
        method="post",
        url=lambda w, t: f"/api/v1/extension-requests/{t.extension_requests.get().pk}/approve/",
        body=lambda w, t: {},
        status=200,
        event="extension_approved",
        check=lambda w, t, data: data["status"] == "approved",
    ),
    "reject extension": Action(
        prepare=with_extension,
        caller="office",
        method="post",
        url=lambda w, t: f"/api/v1/extension-requests/{t.extension_requests.get().pk}/reject/",
        body=lambda w, t: {"reason": "理由不充分"},
        status=200,
        event="extension_rejected",
        check=lambda w, t, data: data["status"] == "rejected" and data["decision_reason"] == "理由不充分",
    ),
    "write instruction": Action(
        prepare=lambda w: w.task(),
        caller="leader",
        method="post",
        url=lambda w, t: f"{TASKS}{t.pk}/instructions/",
        body=lambda w, t: {"text": "务必在春节前整改到位"},
        status=201,
        event="instruction_written",
        check=lambda w, t, data: data["task"] == t.pk and data["text"] == "务必在春节前整改到位",
    ),
    "add milestone": Action(
        prepare=lambda w: w.task(),
        caller="office",
        method="post",
        url=lambda w, t: "/api/v1/milestones/",
        body=lambda w, t: {"task": t.pk, "title": "完成摸底", "due_date": days(5).isoformat()},
        status=201,
        event="milestone_added",
        check=lambda w, t, data: data["task"] == t.pk and data["done_on"] is None,
    ),
    "complete milestone": Action(
        prepare=with_milestone,
        caller="wanan_official",
        method="post",
        url=lambda w, t: f"/api/v1/milestones/{t.milestones.get().pk}/complete/",
        body=lambda w, t: {},
        status=200,
        event="milestone_done",
        check=lambda w, t, data: data["done_on"] == timezone.localdate().isoformat(),
    ),
    "upload evidence": Action(
        prepare=lambda w: w.task(),
        caller="wanan_official",
        method="post",
        url=lambda w, t: "/api/v1/attachments/",
        body=lambda w, t: {"task": t.pk, "file": photo()},
        format="multipart",
        status=201,
        event="attachment_added",
        check=lambda w, t, data: data["task"] == t.pk and data["original_name"] == "photo.png",
    ),
    "create task": Action(
        prepare=lambda w: None,
        caller="office",
        method="post",
        url=lambda w, t: TASKS,
        body=lambda w, t: {
            "campaign": w.campaign.pk,
            "special_action": w.safety.pk,
            "title": "燃气管道巡检",
            "lead_unit": w.shanmu.pk,
            "deadline": days(20).isoformat(),
            "cooperating_units": [w.yingji.pk],
        },
        status=201,
        event="created",
        check=lambda w, t, data: data["title"] == "燃气管道巡检" and data["lead_unit"]["id"] == w.shanmu.pk,
        timeline_of=lambda task, data: data["id"],
    ),
}


def perform(world, client_for, action: Action):
    task = action.prepare(world)
    client = client_for(getattr(world, action.caller))
    send = getattr(client, action.method)
    response = send(action.url(world, task), action.body(world, task), format=action.format)
    return task, response


@pytest.mark.parametrize("name", ACTIONS)
def test_action_answers_with_the_updated_resource(world, client_for, name):
    action = ACTIONS[name]

    task, response = perform(world, client_for, action)

    assert response.status_code == action.status, response.data
    assert action.check(world, task, response.data)


@pytest.mark.parametrize("name", ACTIONS)
def test_action_lands_on_the_task_timeline(world, client_for, name):
    action = ACTIONS[name]
    task, response = perform(world, client_for, action)
    caller = getattr(world, action.caller)

    timeline = client_for(world.office).get(f"{TASKS}{action.timeline_of(task, response.data)}/timeline/")

    assert timeline.status_code == 200
    last = timeline.data[-1]
    assert (last["kind"], last["actor"]["id"]) == (action.event, caller.pk)


def test_task_action_returns_the_same_task_a_fresh_read_shows(world, client_for):
    task = in_progress(world)
    client = client_for(world.wanan_official)

    response = client.post(f"{TASKS}{task.pk}/request-close/", {}, format="json")

    assert response.data == client.get(f"{TASKS}{task.pk}/").data


# ---- Illegal transitions ---------------------------------------------------------------------------


def test_closing_a_task_that_was_not_reported_done_is_a_conflict(world, client_for):
    task = world.task()

    response = client_for(world.office).post(f"{TASKS}{task.pk}/close/", {}, format="json")

    assert response.status_code == 409
    assert response.data["code"] == "invalid_transition"


def test_refused_transition_changes_nothing(world, client_for):
    task = world.task()
    events = TaskEvent.objects.filter(task=task).count()

    client_for(world.office).post(f"{TASKS}{task.pk}/close/", {}, format="json")

    task.refresh_from_db()
    assert (task.status, task.closed_at) == ("not_started", None)
    assert TaskEvent.objects.filter(task=task).count() == events


def test_reporting_progress_on_a_cancelled_task_is_a_conflict(world, client_for):
    task = world.task()
    services.task_cancel(task=task, by=world.office, reason="重复")

    response = client_for(world.wanan_official).post(
        f"{TASKS}{task.pk}/progress-reports/", {"percent": 50, "done": "已排查"}, format="json"
    )

    assert response.status_code == 409
    assert response.data["code"] == "invalid_transition"
    assert ProgressReport.objects.count() == 0


def test_second_pending_extension_request_is_a_conflict(world, client_for):
    task = with_extension(world)

    response = client_for(world.wanan_official).post(
        f"{TASKS}{task.pk}/extension-requests/",
        {"new_deadline": days(30).isoformat(), "reason": "再延一次"},
        format="json",
    )

    assert response.status_code == 409
    assert ExtensionRequest.objects.count() == 1


def test_completing_a_milestone_twice_is_a_conflict(world, client_for):
    task = with_milestone(world)
    milestone = task.milestones.get()
    client = client_for(world.wanan_official)
    client.post(f"/api/v1/milestones/{milestone.pk}/complete/", {}, format="json")

    response = client.post(f"/api/v1/milestones/{milestone.pk}/complete/", {}, format="json")

    assert response.status_code == 409
    assert response.data["code"] == "invalid_transition"


def test_tasks_cannot_be_deleted(world, client_for):
    task = world.task()

    response = client_for(world.office).delete(f"{TASKS}{task.pk}/")

    assert response.status_code == 405
    assert Task.objects.filter(pk=task.pk).exists()


# ---- Evidence ----------------------------------------------------------------------------------------


def test_progress_report_with_a_photo_creates_the_report_and_its_attachment(world, client_for):
    task = world.task()

    response = client_for(world.wanan_official).post(
        f"{TASKS}{task.pk}/progress-reports/",
        {"percent": 60, "done": "隐患已整改,附现场照片", "attachments": [photo()]},
        format="multipart",
    )

    assert response.status_code == 201
    report = ProgressReport.objects.get()
    attachment = Attachment.objects.get()
    assert (attachment.task_id, attachment.progress_report_id) == (task.pk, report.pk)
    assert [row["original_name"] for row in response.data["attachments"]] == ["photo.png"]


def test_attachment_downloads_for_a_user_who_sees_the_task(world, client_for):
    task = world.task()
    services.progress_report(
        task=task, by=world.wanan_official, percent=60, done="已整改", attachments=[photo()]
    )
    attachment = Attachment.objects.get()

    response = client_for(world.office).get(f"/api/v1/attachments/{attachment.pk}/download/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Disposition"].startswith("attachment")


def test_attachment_is_not_found_for_another_countys_official(world, client_for):
    task = world.task()
    services.progress_report(
        task=task, by=world.wanan_official, percent=60, done="已整改", attachments=[photo()]
    )
    attachment = Attachment.objects.get()

    response = client_for(world.other_official).get(f"/api/v1/attachments/{attachment.pk}/download/")

    assert response.status_code == 404


# ---- Idempotent retries ------------------------------------------------------------------------------


def test_retried_progress_report_with_the_same_key_applies_once(world, client_for):
    task = world.task()
    client = client_for(world.wanan_official)
    url = f"{TASKS}{task.pk}/progress-reports/"
    body = {"percent": 30, "done": "已排查 5 处"}
    first = client.post(url, body, format="json", headers={"Idempotency-Key": "report-1"})

    retry = client.post(url, body, format="json", headers={"Idempotency-Key": "report-1"})

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.data == first.data
    assert retry["Idempotent-Replayed"] == "true"
    assert ProgressReport.objects.count() == 1


def test_first_request_with_a_key_is_not_marked_replayed(world, client_for):
    task = world.task()

    response = client_for(world.wanan_official).post(
        f"{TASKS}{task.pk}/progress-reports/",
        {"percent": 30, "done": "已排查 5 处"},
        format="json",
        headers={"Idempotency-Key": "report-1"},
    )

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response


def test_same_key_with_a_different_body_is_refused(world, client_for):
    task = world.task()
    client = client_for(world.wanan_official)
    url = f"{TASKS}{task.pk}/progress-reports/"
    client.post(url, {"percent": 30, "done": "已排查 5 处"}, format="json", headers={"Idempotency-Key": "k"})

    response = client.post(
        url, {"percent": 90, "done": "已排查 15 处"}, format="json", headers={"Idempotency-Key": "k"}
    )

    assert response.status_code == 422
    assert ProgressReport.objects.get().percent == 30


def test_without_a_key_each_post_is_a_new_report(world, client_for):
    task = world.task()
    client = client_for(world.wanan_official)
    url = f"{TASKS}{task.pk}/progress-reports/"

    for _ in range(2):
        client.post(url, {"percent": 30, "done": "已排查 5 处"}, format="json")

    assert ProgressReport.objects.count() == 2


def test_retried_upload_with_the_same_key_stores_one_attachment(world, client_for):
    task = world.task()
    client = client_for(world.wanan_official)

    for _ in range(2):
        client.post(
            "/api/v1/attachments/",
            {"task": task.pk, "file": photo()},
            format="multipart",
            headers={"Idempotency-Key": "upload-1"},
        )

    assert Attachment.objects.count() == 1


# ---- ETags ---------------------------------------------------------------------------------------


def test_task_detail_carries_an_etag(world, client_for):
    task = world.task()

    response = client_for(world.office).get(f"{TASKS}{task.pk}/")

    assert response.status_code == 200
    assert response["ETag"].startswith('"')


def test_unchanged_task_answers_304_without_a_body(world, client_for):
    task = world.task()
    client = client_for(world.office)
    etag = client.get(f"{TASKS}{task.pk}/")["ETag"]

    response = client.get(f"{TASKS}{task.pk}/", headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.content == b""


def test_etag_changes_after_a_write(world, client_for):
    task = world.task()
    client = client_for(world.wanan_official)
    before = client.get(f"{TASKS}{task.pk}/")["ETag"]
    client.post(f"{TASKS}{task.pk}/progress-reports/", {"percent": 30, "done": "已排查"}, format="json")

    response = client.get(f"{TASKS}{task.pk}/", headers={"If-None-Match": before})

    assert response.status_code == 200
    assert response["ETag"] != before


def test_write_with_a_stale_if_match_is_refused_and_changes_nothing(world, client_for):
    task = world.task()
    client = client_for(world.office)
    stale = client.get(f"{TASKS}{task.pk}/")["ETag"]
    services.task_update(task=task, by=world.office, title="别人先改了名称")

    response = client.patch(
        f"{TASKS}{task.pk}/", {"title": "我的名称"}, format="json", headers={"If-Match": stale}
    )

    assert response.status_code == 412
    assert response.data["code"] == "precondition_failed"
    assert Task.objects.get(pk=task.pk).title == "别人先改了名称"


def test_action_with_a_stale_if_match_is_refused(world, client_for):
    task = in_progress(world)
    client = client_for(world.wanan_official)
    stale = client.get(f"{TASKS}{task.pk}/")["ETag"]
    services.progress_report(task=task, by=world.wanan_official, percent=50, done="又排查了一批")

    response = client.post(f"{TASKS}{task.pk}/request-close/", {}, format="json", headers={"If-Match": stale})

    assert response.status_code == 412
    assert Task.objects.get(pk=task.pk).status == "in_progress"


def test_write_with_the_current_if_match_succeeds(world, client_for):
    task = world.task()
    client = client_for(world.office)
    current = client.get(f"{TASKS}{task.pk}/")["ETag"]

    response = client.patch(
        f"{TASKS}{task.pk}/", {"title": "我的名称"}, format="json", headers={"If-Match": current}
    )

    assert response.status_code == 200
    assert response["ETag"] != current
    assert Task.objects.get(pk=task.pk).title == "我的名称"


def test_write_without_if_match_succeeds(world, client_for):
    task = world.task()

    response = client_for(world.office).patch(f"{TASKS}{task.pk}/", {"title": "我的名称"}, format="json")

    assert response.status_code == 200
    assert Task.objects.get(pk=task.pk).title == "我的名称"


def test_etag_of_the_write_response_matches_the_next_read(world, client_for):
    task = world.task()
    client = client_for(world.office)
    written = client.patch(f"{TASKS}{task.pk}/", {"title": "我的名称"}, format="json")

    response = client.get(f"{TASKS}{task.pk}/", headers={"If-None-Match": written["ETag"]})

    assert response.status_code == 304


def test_etag_changes_when_the_task_becomes_overdue_overnight(world, client_for, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 20, 10, 0, tzinfo=SHANGHAI), tick=False)
    task = world.task(start_date=datetime.date(2026, 12, 1), deadline=datetime.date(2026, 12, 21))
    client = client_for(world.office)
    before = client.get(f"{TASKS}{task.pk}/")

    time_machine.move_to(datetime.datetime(2026, 12, 23, 10, 0, tzinfo=SHANGHAI), tick=False)
    after = client.get(f"{TASKS}{task.pk}/", headers={"If-None-Match": before["ETag"]})

    assert (before.data["is_overdue"], after.data["is_overdue"]) == (False, True)
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]


def test_milestone_detail_carries_an_etag_and_answers_304(world, client_for):
    milestone = with_milestone(world).milestones.get()
    client = client_for(world.wanan_official)
    etag = client.get(f"/api/v1/milestones/{milestone.pk}/")["ETag"]

    response = client.get(f"/api/v1/milestones/{milestone.pk}/", headers={"If-None-Match": etag})

    assert response.status_code == 304


def test_completing_a_milestone_with_a_stale_if_match_is_refused(world, client_for):
    milestone = with_milestone(world).milestones.get()

    response = client_for(world.wanan_official).post(
        f"/api/v1/milestones/{milestone.pk}/complete/", {}, format="json", headers={"If-Match": '"stale"'}
    )

    assert response.status_code == 412
    assert Milestone.objects.get(pk=milestone.pk).done_on is None


def test_completing_a_milestone_with_the_current_if_match_succeeds(world, client_for):
    milestone = with_milestone(world).milestones.get()
    client = client_for(world.wanan_official)
    current = client.get(f"/api/v1/milestones/{milestone.pk}/")["ETag"]

    response = client.post(
        f"/api/v1/milestones/{milestone.pk}/complete/", {}, format="json", headers={"If-Match": current}
    )

    assert response.status_code == 200
    assert Milestone.objects.get(pk=milestone.pk).done_on == timezone.localdate()


# ---- Filters -------------------------------------------------------------------------------------


@pytest.fixture
def board(world):
    """Five tasks of 洪洞县 with known flags, and one of 尧都区 (out of the county's sight)."""
    b = type("Board", (), {})()
    b.overdue = world.task(title="逾期的排查", start_date=days(-20), deadline=days(-1))
    b.due_soon = world.task(title="临期的排查", start_date=days(0), deadline=days(3))
    b.behind = world.task(
        title="滞后的排查", start_date=days(-20), deadline=days(20), cooperating_units=[world.shanmu]
    )
    services.progress_report(task=b.behind, by=world.wanan_official, percent=10, done="刚起步")
    b.calm = world.task(
        title="正常的巡查",
        lead_unit=world.shanmu,
        start_date=days(0),
        deadline=days(30),
        responsible_leader=world.leader,
        description="冬季供暖管网巡查",
    )
    b.yingji = world.task(title="应急演练", lead_unit=world.yingji, start_date=days(0), deadline=days(25))
    campaign = services.campaign_create(
        owner=world.other_county,
        name="尧都区冬季行动",
        code="YD",
        start_date=days(-30),
        end_date=days(60),
        by=world.other_office,
    )
    action = services.special_action_create(
        campaign=campaign, name="安全生产", code="AQ", by=world.other_office
    )
    b.elsewhere = services.task_create(
        campaign=campaign,
        special_action=action,
        title="屯里镇燃气排查",
        lead_unit=world.other_town,
        start_date=days(-20),
        deadline=days(-1),
        by=world.other_office,
    )
    b.county = {b.overdue.pk, b.due_soon.pk, b.behind.pk, b.calm.pk, b.yingji.pk}
    return b


def listed(client, **params) -> set[int]:
    response = client.get(TASKS, params)
    assert response.status_code == 200, response.data
    return set(ids(response))


def test_list_shows_only_tasks_in_the_callers_county(world, board, client_for):
    assert listed(client_for(world.wanan_official)) == board.county


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"overdue": "true"}, {"overdue"}),
        ({"overdue": "false"}, {"due_soon", "behind", "calm", "yingji"}),
        ({"due_soon": "true"}, {"due_soon"}),
        ({"behind": "true"}, {"overdue", "behind"}),
        ({"status": "in_progress"}, {"behind"}),
        ({"status": ["in_progress", "not_started"]}, {"overdue", "due_soon", "behind", "calm", "yingji"}),
        ({"search": "巡查"}, {"calm"}),
        ({"search": "供暖管网"}, {"calm"}),
        ({"search": "HD-AQ-002"}, {"due_soon"}),
    ],
    # A set's order changes with the hash seed: sorted, every xdist process names the cases alike.
    ids=lambda value: str(sorted(value) if isinstance(value, set) else value),
)
def test_filters_keep_the_matching_tasks(world, board, client_for, params, expected):
    names = {getattr(board, name).pk for name in expected}

    assert listed(client_for(world.wanan_official), **params) == names


def test_lead_unit_filter_keeps_tasks_the_unit_leads(world, board, client_for):
    assert listed(client_for(world.office), lead_unit=world.shanmu.pk) == {board.calm.pk}


def test_unit_filter_keeps_tasks_the_unit_leads_or_cooperates_on(world, board, client_for):
    assert listed(client_for(world.office), unit=world.shanmu.pk) == {board.calm.pk, board.behind.pk}


def test_county_filter_keeps_tasks_of_units_under_that_county(world, board, client_for):
    client = client_for(world.city_office)

    assert listed(client, county=world.county.pk) == board.county
    assert listed(client, county=world.other_county.pk) == {board.elsewhere.pk}


def test_county_filter_does_not_widen_the_callers_scope(world, board, client_for):
    assert listed(client_for(world.wanan_official), county=world.other_county.pk) == set()


def test_leader_filter_keeps_the_leaders_tasks(world, board, client_for):
    assert listed(client_for(world.office), leader=world.leader.pk) == {board.calm.pk}


def test_deadline_range_filters_are_inclusive(world, board, client_for):
    client = client_for(world.office)

    assert listed(client, deadline_before=days(3).isoformat()) == {board.overdue.pk, board.due_soon.pk}
    assert listed(client, deadline_after=days(25).isoformat()) == {board.calm.pk, board.yingji.pk}
    assert listed(client, deadline_after=days(0).isoformat(), deadline_before=days(20).isoformat()) == {
        board.due_soon.pk,
        board.behind.pk,
    }


def test_derived_flags_appear_on_each_task(world, board, client_for):
    response = client_for(world.office).get(TASKS)

    flags = {
        row["id"]: (row["is_overdue"], row["is_due_soon"], row["is_behind"])
        for row in response.data["results"]
    }
    assert flags[board.overdue.pk] == (True, False, True)
    assert flags[board.due_soon.pk] == (False, True, False)
    assert flags[board.behind.pk] == (False, False, True)
    assert flags[board.calm.pk] == (False, False, False)


def test_ordering_by_descending_deadline(world, board, client_for):
    response = client_for(world.office).get(TASKS, {"ordering": "-deadline"})

    deadlines = [row["deadline"] for row in response.data["results"]]
    assert deadlines == sorted(deadlines, reverse=True)
    assert len(deadlines) == 5


def test_tasks_with_the_same_deadline_come_in_a_stable_order(world, client_for):
    created = [world.task(title=f"同日任务{n}", deadline=days(10)) for n in range(4)]

    response = client_for(world.office).get(TASKS, {"ordering": "deadline"})

    assert ids(response) == [task.pk for task in created]


def test_paging_through_ties_never_repeats_or_skips_a_task(world, client_for):
    created = [world.task(title=f"同日任务{n}", deadline=days(10)) for n in range(5)]
    client = client_for(world.office)

    seen = []
    for page in range(1, 6):
        seen += ids(client.get(TASKS, {"ordering": "progress", "page_size": 1, "page": page}))

    assert seen == [task.pk for task in created]


# ---- Pagination ----------------------------------------------------------------------------------


def test_list_has_a_count_and_50_rows_per_page_by_default(world, client_for):
    for n in range(51):
        world.task(title=f"任务{n}")

    response = client_for(world.office).get(TASKS)

    assert response.data["count"] == 51
    assert len(response.data["results"]) == 50
    assert response.data["next"] is not None


@pytest.mark.slow  # 501 tasks through the services: ~10 s
def test_page_size_is_capped_at_500(world, client_for):
    for n in range(501):
        world.task(title=f"任务{n}")

    response = client_for(world.office).get(TASKS, {"page_size": 1000})

    assert response.data["count"] == 501
    assert len(response.data["results"]) == 500


def test_page_size_below_the_cap_is_honoured(world, client_for):
    for n in range(3):
        world.task(title=f"任务{n}")

    response = client_for(world.office).get(TASKS, {"page_size": 2})

    assert (response.data["count"], len(response.data["results"])) == (3, 2)


# ---- Statements compiled once (tasks/compiled.py): the SQL is kept, never the rows ----------------


def test_the_same_list_asked_again_shows_the_tasks_changed_in_between(world, board, client_for):
    client = client_for(world.office)
    assert listed(client, overdue="true") == {board.overdue.pk}

    late = world.task(title="新增的逾期任务", start_date=days(-10), deadline=days(-2))
    services.task_cancel(task=board.overdue, by=world.office, reason="并入其他任务")

    assert listed(client, overdue="true") == {late.pk}


def test_the_same_list_the_next_day_follows_the_flags(world, board, client_for, time_machine):
    client = client_for(world.office)
    assert board.due_soon.pk not in listed(client, overdue="true")

    time_machine.move_to(timezone.now() + datetime.timedelta(days=4), tick=False)

    assert board.due_soon.pk in listed(client, overdue="true")


def first_listed(client, **params) -> int:
    """The first row of a one-row page: its bounds stay (0, 1) whatever the count, so only the statement's
    key decides whether a changed threshold is seen."""
    response = client.get(TASKS, {"page_size": 1, "ordering": "-deadline", **params})
    assert response.status_code == 200, response.data
    return ids(response)[0]


def test_the_same_list_follows_a_changed_due_soon_threshold(world, board, client_for, settings):
    sooner = world.task(title="明天到期的排查", start_date=days(0), deadline=days(1))
    client = client_for(world.office)
    assert first_listed(client, due_soon="true") == board.due_soon.pk

    settings.WINTERACTION_DUE_SOON_DAYS = 2  # board.due_soon's deadline is 3 days away

    assert first_listed(client, due_soon="true") == sooner.pk


def test_the_same_list_follows_a_changed_behind_threshold(world, board, client_for, settings):
    further_behind = world.task(title="几乎到期未动的排查", start_date=days(-30), deadline=days(1))
    client = client_for(world.office)
    assert first_listed(client, behind="true") == board.behind.pk

    settings.WINTERACTION_BEHIND_POINTS = 60  # board.behind is some 40 points behind, the other ~97

    assert first_listed(client, behind="true") == further_behind.pk


def test_a_compiled_detail_is_never_shared_with_a_viewer_of_another_scope(world, board, client_for):
    assert client_for(world.office).get(f"{TASKS}{board.overdue.pk}/").status_code == 200
    assert client_for(world.other_office).get(f"{TASKS}{board.overdue.pk}/").status_code == 404
    assert client_for(world.other_office).get(f"{TASKS}{board.elsewhere.pk}/").status_code == 200
    assert client_for(world.office).get(f"{TASKS}{board.elsewhere.pk}/").status_code == 404


@pytest.mark.parametrize("pk", ["0", "-3", "9" * 30, "1_0x"])
def test_a_detail_with_an_impossible_id_is_not_found(world, client_for, pk):
    assert client_for(world.office).get(f"{TASKS}{pk}/").status_code == 404


# ---- charged_by: the tasks of the units a leader answers for (分管/包联) ---------------------------------


@pytest.fixture
def charged(world, board):
    """县长 包联 山目乡 and 分管 县应急管理局: board.calm and board.yingji are theirs."""
    services.leader_charge_add(by=world.office, leader=world.leader, unit=world.shanmu, kind="liaison")
    services.leader_charge_add(by=world.office, leader=world.leader, unit=world.yingji, kind="in_charge")
    return {board.calm.pk, board.yingji.pk}


def test_charged_by_filter_keeps_the_tasks_of_the_leaders_units(world, board, charged, client_for):
    assert listed(client_for(world.office), charged_by=world.leader.pk) == charged
    assert listed(client_for(world.leader), charged_by=world.leader.pk) == charged


def test_charged_by_filter_does_not_widen_the_callers_scope(world, board, charged, client_for):
    assert listed(client_for(world.other_official), charged_by=world.leader.pk) == set()


def test_charged_by_filter_for_a_leader_without_charges_keeps_nothing(world, board, client_for):
    assert listed(client_for(world.office), charged_by=world.leader.pk) == set()


def test_charged_by_filter_with_someone_who_is_not_a_leader_finds_nothing(world, board, client_for):
    # Like any id that names nothing the filter can use (docs/api.md, Filters): no 400 to probe ids with.
    response = client_for(world.office).get(TASKS, {"charged_by": world.wanan_official.pk})
    assert (response.status_code, response.data["count"]) == (200, 0)


def test_charged_by_filter_needs_a_signed_in_caller(world, board, charged, client_for):
    assert client_for().get(TASKS, {"charged_by": world.leader.pk}).status_code == 401


# ---- Lowering progress needs a reason ----------------------------------------------------------------


def test_api_refuses_a_lower_percent_without_a_reason_and_writes_nothing(world, client_for):
    task = in_progress(world)  # at 20%
    reports = ProgressReport.objects.count()

    response = client_for(world.wanan_official).post(
        f"{TASKS}{task.pk}/progress-reports/", {"percent": 10, "done": "复核"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.data["fields"]) == ["lowering_reason"]
    assert "20%" in response.data["fields"]["lowering_reason"][0]
    assert (ProgressReport.objects.count(), Task.objects.get(pk=task.pk).progress) == (reports, 20)


def test_api_lowers_the_percent_with_a_reason(world, client_for):
    task = in_progress(world)
    body = {"percent": 10, "done": "复核", "lowering_reason": "2处返工"}

    response = client_for(world.wanan_official).post(
        f"{TASKS}{task.pk}/progress-reports/", body, format="json"
    )

    assert response.status_code == 201
    assert response.data["problems"].startswith("【进度下调原因】2处返工")
    assert Task.objects.get(pk=task.pk).progress == 10
