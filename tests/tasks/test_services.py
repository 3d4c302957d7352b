"""Task services: every status transition and the forbidden ones, who may call each, the timeline rows."""

import datetime
import io
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Max
from django.utils import timezone
from PIL import Image

from tasks import services
from tasks.models import (
    EventKind,
    ExtensionRequest,
    ExtensionStatus,
    Instruction,
    Milestone,
    ProgressReport,
    Task,
    TaskCooperation,
    TaskEvent,
    TaskStatus,
)
from tasks.services import InvalidTransition

SHANGHAI = ZoneInfo("Asia/Shanghai")
ONE_DAY = datetime.timedelta(days=1)

# ---- Helpers -------------------------------------------------------------------------------------


def lead_official(world, task):
    """The official who acts for the task's lead unit."""
    officials = {
        world.wanan.pk: world.wanan_official,
        world.shanmu.pk: world.shanmu_official,
        world.yingji.pk: world.yingji_official,
    }
    return officials[task.lead_unit_id]


def task_in(world, status, *, percent=40, **overrides) -> Task:
    """A task brought to `status` the way users get it there: through the services.

    `percent` is the lead unit's progress report for every status past not_started
    (a close request then sets it to 100); `overrides` go to `world.task`.
    """
    task = world.task(**overrides)
    official = lead_official(world, task)
    if status == TaskStatus.CANCELLED:
        services.task_cancel(task=task, by=world.office, reason="与其他任务合并")
    if status in (TaskStatus.IN_PROGRESS, TaskStatus.AWAITING_CLOSE, TaskStatus.CLOSED):
        services.progress_report(task=task, by=official, percent=percent, done="完成井下隐患排查")
    if status in (TaskStatus.AWAITING_CLOSE, TaskStatus.CLOSED):
        services.task_request_close(task=task, by=official)
    if status == TaskStatus.CLOSED:
        services.task_close(task=task, by=world.office)
    task = Task.objects.get(pk=task.pk)
    assert task.status == status
    return task


def request_extension(world, task, *, days_later=10, reason="寒潮停工,申请顺延"):
    return services.extension_request(
        task=task,
        by=lead_official(world, task),
        new_deadline=task.deadline + datetime.timedelta(days=days_later),
        reason=reason,
    )


def event_mark(task) -> int:
    """The last timeline row of `task` so far; pass it to `events_since`."""
    return TaskEvent.objects.filter(task=task).aggregate(last=Max("pk"))["last"] or 0


def events_since(task, mark: int) -> list[TaskEvent]:
    return list(TaskEvent.objects.filter(task=task, pk__gt=mark).order_by("pk"))


def state_of(task) -> dict:
    """Everything a service could write about a task, to show that a refused call wrote nothing."""
    return {
        "task": Task.objects.filter(pk=task.pk).values().get(),
        "events": list(TaskEvent.objects.filter(task=task).values_list("pk", flat=True)),
        "reports": list(ProgressReport.objects.filter(task=task).values_list("pk", "percent")),
        "extensions": list(
            ExtensionRequest.objects.filter(task=task).order_by("pk").values("pk", "status", "decided_at")
        ),
        "milestones": list(Milestone.objects.filter(task=task).order_by("pk").values("pk", "done_on")),
        "instructions": list(Instruction.objects.filter(task=task).values_list("pk", flat=True)),
        "cooperations": list(
            TaskCooperation.objects.filter(task=task).order_by("pk").values_list("unit", "lead_unit")
        ),
    }


def message_of(error: Exception) -> str:
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)


@contextmanager
def refused(task, exception, message):
    """The call inside raises `exception` with exactly `message`, and the task is left as it was."""
    before = state_of(task)
    with pytest.raises(exception) as excinfo:
        yield excinfo
    assert message_of(excinfo.value) == message
    if exception is InvalidTransition:
        assert excinfo.value.code == "invalid_transition"
    assert state_of(task) == before


# ---- Status transitions ------------------------------------------------------------------------------


def test_first_progress_report_by_the_lead_unit_starts_the_task(world):
    task = world.task()
    services.progress_report(task=task, by=world.wanan_official, percent=40, done="排查井下隐患3处")
    task.refresh_from_db()
    assert (task.status, task.progress) == (TaskStatus.IN_PROGRESS, 40)


def test_later_report_by_the_lead_unit_moves_the_progress(world):
    task = task_in(world, TaskStatus.IN_PROGRESS, percent=40)
    services.progress_report(task=task, by=world.wanan_official, percent=70, done="整改完成2处")
    task.refresh_from_db()
    assert (task.status, task.progress) == (TaskStatus.IN_PROGRESS, 70)


def test_cooperating_unit_may_report_progress(world):
    task = world.task(lead_unit=world.yingji, cooperating_units=[world.wanan])
    report = services.progress_report(task=task, by=world.wanan_official, percent=80, done="配合排查完成")
    assert (report.unit, report.percent, report.submitted_by) == (world.wanan, 80, world.wanan_official)


def test_cooperating_units_report_neither_starts_the_task_nor_moves_its_progress(world):
    task = world.task(lead_unit=world.yingji, cooperating_units=[world.wanan])
    services.progress_report(task=task, by=world.wanan_official, percent=80, done="配合排查完成")
    task.refresh_from_db()
    assert (task.status, task.progress) == (TaskStatus.NOT_STARTED, 0)


def test_cooperating_units_percent_leaves_the_lead_units_progress(world):
    task = task_in(
        world, TaskStatus.IN_PROGRESS, percent=30, lead_unit=world.yingji, cooperating_units=[world.wanan]
    )
    services.progress_report(task=task, by=world.wanan_official, percent=90, done="配合排查完成")
    task.refresh_from_db()
    assert (task.status, task.progress) == (TaskStatus.IN_PROGRESS, 30)


def test_lead_unit_cannot_lower_progress_without_a_reason(world):
    task = task_in(world, TaskStatus.IN_PROGRESS, percent=40)
    with refused(task, ValidationError, "进度从 40% 降到 30%,请说明下调原因。") as excinfo:
        services.progress_report(task=task, by=world.wanan_official, percent=30, done="复核")
    assert list(excinfo.value.error_dict) == ["lowering_reason"]


def test_lowering_reason_lowers_the_progress_and_leads_the_reports_problems(world):
    task = task_in(world, TaskStatus.IN_PROGRESS, percent=40)
    report = services.progress_report(
        task=task,
        by=world.wanan_official,
        percent=30,
        done="复核",
        problems="资金缺口",
        lowering_reason="2处返工",
    )
    task.refresh_from_db()
    assert task.progress == 30
    assert report.problems == "【进度下调原因】2处返工\n资金缺口"


def test_cooperating_unit_is_held_to_its_own_last_percent_not_the_tasks(world):
    task = task_in(
        world, TaskStatus.IN_PROGRESS, percent=80, lead_unit=world.yingji, cooperating_units=[world.wanan]
    )
    services.progress_report(task=task, by=world.wanan_official, percent=20, done="配合排查")
    with refused(task, ValidationError, "进度从 20% 降到 10%,请说明下调原因。"):
        services.progress_report(task=task, by=world.wanan_official, percent=10, done="复核")


def test_subtask_report_moves_its_parents_updated_at(world, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    parent = world.task(title="总任务")
    child = world.task(title="子任务", parent=parent)
    before = Task.objects.get(pk=parent.pk).updated_at
    time_machine.shift(datetime.timedelta(minutes=5))
    services.progress_report(task=child, by=world.wanan_official, percent=50, done="排查过半")
    assert Task.objects.get(pk=parent.pk).updated_at > before


def test_lead_units_close_request_puts_the_task_awaiting_close_at_100_percent(world):
    task = task_in(world, TaskStatus.IN_PROGRESS, percent=90)
    services.task_request_close(task=task, by=world.wanan_official, note="隐患全部整改到位")
    task.refresh_from_db()
    assert (task.status, task.progress) == (TaskStatus.AWAITING_CLOSE, 100)


def test_office_closes_a_task_awaiting_close(world):
    task = task_in(world, TaskStatus.AWAITING_CLOSE)
    services.task_close(task=task, by=world.office)
    task.refresh_from_db()
    assert task.status == TaskStatus.CLOSED
    assert task.closed_at is not None


@pytest.mark.parametrize(
    ("moment", "late"),
    [
        (datetime.datetime(2026, 12, 31, 23, 59, 59, tzinfo=SHANGHAI), False),
        (datetime.datetime(2027, 1, 1, 0, 0, 0, tzinfo=SHANGHAI), True),
    ],
    ids=["last-second-of-the-deadline-day", "first-second-after"],
)
def test_task_is_closed_late_only_when_closed_after_the_deadline_day(world, time_machine, moment, late):
    time_machine.move_to(datetime.datetime(2026, 12, 20, 9, 0, tzinfo=SHANGHAI), tick=False)
    task = task_in(
        world,
        TaskStatus.AWAITING_CLOSE,
        start_date=datetime.date(2026, 12, 1),
        deadline=datetime.date(2026, 12, 31),
    )
    time_machine.move_to(moment, tick=False)
    services.task_close(task=task, by=world.office)
    task.refresh_from_db()
    assert (task.closed_at, task.closed_late) == (moment, late)


def test_office_returns_a_close_request_to_in_progress_marked_returned(world):
    task = task_in(world, TaskStatus.AWAITING_CLOSE)
    services.task_return(task=task, by=world.office, reason="佐证材料不全")
    task.refresh_from_db()
    assert (task.status, task.returned) == (TaskStatus.IN_PROGRESS, True)


def test_next_close_request_clears_the_returned_mark(world):
    task = task_in(world, TaskStatus.AWAITING_CLOSE)
    services.task_return(task=task, by=world.office, reason="佐证材料不全")
    services.task_request_close(task=task, by=world.wanan_official, note="已补充照片")
    task.refresh_from_db()
    assert (task.status, task.returned) == (TaskStatus.AWAITING_CLOSE, False)


def test_returning_a_close_request_needs_a_reason(world):
    task = task_in(world, TaskStatus.AWAITING_CLOSE)
    with refused(task, ValidationError, "请填写退回理由。"):
        services.task_return(task=task, by=world.office, reason="  ")


@pytest.mark.parametrize(
    "status", [TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS, TaskStatus.AWAITING_CLOSE]
)
def test_office_cancels_an_open_task(world, status):
    task = task_in(world, status)
    services.task_cancel(task=task, by=world.office, reason="与其他任务合并")
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED


def test_cancelling_needs_a_reason(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    with refused(task, ValidationError, "请填写撤销理由。"):
        services.task_cancel(task=task, by=world.office, reason="")


def test_cancelling_a_task_rejects_its_pending_extension_request(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    extension = request_extension(world, task)
    services.task_cancel(task=task, by=world.office, reason="与其他任务合并")
    extension.refresh_from_db()
    assert (extension.status, extension.decided_by) == (ExtensionStatus.REJECTED, world.office)
    assert extension.decided_at is not None


# ---- Forbidden transitions ------------------------------------------------------------------------------


def test_invalid_transition_is_a_validation_error_with_its_own_code():
    error = InvalidTransition("不能销号。")
    assert isinstance(error, ValidationError)
    assert error.code == "invalid_transition"


def test_task_not_started_cannot_be_closed(world):
    task = task_in(world, TaskStatus.NOT_STARTED)
    with refused(task, InvalidTransition, "任务当前状态为“未开始”,不能销号。"):
        services.task_close(task=task, by=world.office)


def test_task_in_progress_cannot_be_closed_without_a_close_request(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    with refused(task, InvalidTransition, "任务当前状态为“推进中”,不能销号。"):
        services.task_close(task=task, by=world.office)


def test_task_not_started_cannot_request_close(world):
    task = task_in(world, TaskStatus.NOT_STARTED)
    with refused(task, InvalidTransition, "任务当前状态为“未开始”,不能申请销号。"):
        services.task_request_close(task=task, by=world.wanan_official)


def test_task_in_progress_cannot_be_returned(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    with refused(task, InvalidTransition, "任务当前状态为“推进中”,不能退回。"):
        services.task_return(task=task, by=world.office, reason="材料不全")


@pytest.mark.parametrize(
    ("status", "label"), [(TaskStatus.CLOSED, "已销号"), (TaskStatus.CANCELLED, "已撤销")]
)
def test_closed_or_cancelled_task_cannot_be_cancelled(world, status, label):
    task = task_in(world, status)
    with refused(task, InvalidTransition, f"任务当前状态为“{label}”,不能撤销。"):
        services.task_cancel(task=task, by=world.office, reason="重复下达")


@pytest.mark.parametrize(
    ("status", "label"),
    [(TaskStatus.AWAITING_CLOSE, "待销号"), (TaskStatus.CLOSED, "已销号"), (TaskStatus.CANCELLED, "已撤销")],
)
def test_progress_cannot_be_reported_once_the_task_has_stopped_running(world, status, label):
    task = task_in(world, status)
    with refused(task, InvalidTransition, f"任务当前状态为“{label}”,不能填报进度。"):
        services.progress_report(task=task, by=world.wanan_official, percent=50, done="补报进度")


@pytest.mark.parametrize(("first", "label"), [(True, "已批准"), (False, "已驳回")])
def test_extension_request_cannot_be_decided_twice(world, first, label):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    extension = request_extension(world, task)
    services.extension_decide(extension=extension, by=world.office, approve=first, reason="研究决定")
    with refused(task, InvalidTransition, f"该延期申请已经审批过了({label})。"):
        services.extension_decide(extension=extension, by=world.office, approve=not first, reason="改变主意")


def test_milestone_cannot_be_completed_twice(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    milestone = services.milestone_add(
        task=task, by=world.wanan_official, title="完成井下排查", due_date=task.deadline - ONE_DAY
    )
    services.milestone_complete(milestone=milestone, by=world.wanan_official)
    today = timezone.localdate()
    with refused(task, InvalidTransition, f"节点“完成井下排查”已于 {today} 完成。"):
        services.milestone_complete(milestone=milestone, by=world.wanan_official)


def test_second_pending_extension_request_is_refused(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    request_extension(world, task)
    with refused(task, InvalidTransition, "该任务已有一条待审批的延期申请。"):
        request_extension(world, task, days_later=20)


# ---- Who may call each service ---------------------------------------------------------------------------


def test_office_creates_a_task_for_a_unit_in_its_county(world):
    task = world.task(lead_unit=world.yingji, cooperating_units=[world.wanan, world.shanmu])
    assert task.lead_unit == world.yingji
    assert set(task.cooperating_units.all()) == {world.wanan, world.shanmu}


def test_township_official_cannot_create_a_task(world):
    with pytest.raises(PermissionDenied, match="只有本地区的督查室可以下达任务。"):
        world.task(by=world.wanan_official)
    assert not Task.objects.exists()
    assert not TaskEvent.objects.exists()


def test_office_of_another_county_cannot_create_a_task_in_the_countys_campaign(world):
    with pytest.raises(PermissionDenied, match="只有本地区的督查室可以下达任务。"):
        world.task(by=world.other_office)
    assert not Task.objects.exists()


def test_township_official_cannot_close_a_task(world):
    task = task_in(world, TaskStatus.AWAITING_CLOSE)
    with refused(task, PermissionDenied, "只有本地区的督查室可以销号。"):
        services.task_close(task=task, by=world.wanan_official)


def test_office_of_another_county_cannot_close_the_countys_task(world):
    task = task_in(world, TaskStatus.AWAITING_CLOSE)
    with refused(task, PermissionDenied, "只有本地区的督查室可以销号。"):
        services.task_close(task=task, by=world.other_office)


def test_inspector_cannot_close_a_task(world):
    task = task_in(world, TaskStatus.AWAITING_CLOSE)
    with refused(task, PermissionDenied, "只有本地区的督查室可以销号。"):
        services.task_close(task=task, by=world.inspector)


def test_township_official_cannot_return_a_close_request(world):
    task = task_in(world, TaskStatus.AWAITING_CLOSE)
    with refused(task, PermissionDenied, "只有本地区的督查室可以退回销号申请。"):
        services.task_return(task=task, by=world.wanan_official, reason="自己退回")


def test_township_official_cannot_cancel_a_task(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    with refused(task, PermissionDenied, "只有本地区的督查室可以撤销任务。"):
        services.task_cancel(task=task, by=world.wanan_official, reason="不想干了")


def test_office_reassigns_a_task(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    services.task_assign(
        task=task,
        by=world.office,
        lead_unit=world.yingji,
        cooperating_units=[world.wanan],
        responsible_leader=world.leader,
    )
    task.refresh_from_db()
    assert (task.lead_unit, task.responsible_leader) == (world.yingji, world.leader)
    assert list(task.cooperations.values_list("unit", "lead_unit")) == [(world.wanan.pk, world.yingji.pk)]


def test_township_official_cannot_assign_a_task(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    with refused(task, PermissionDenied, "只有本地区的督查室可以调整任务责任。"):
        services.task_assign(task=task, by=world.wanan_official, lead_unit=world.shanmu)


def test_task_cannot_be_handed_to_a_unit_of_another_county(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    with refused(task, ValidationError, "屯里镇不在洪洞县范围内。"):
        services.task_assign(task=task, by=world.office, lead_unit=world.other_town)


def test_township_official_cannot_decide_an_extension(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    extension = request_extension(world, task)
    with refused(task, PermissionDenied, "只有本地区的督查室可以审批延期申请。"):
        services.extension_decide(extension=extension, by=world.wanan_official, approve=True)


def test_office_of_another_county_cannot_decide_an_extension(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    extension = request_extension(world, task)
    with refused(task, PermissionDenied, "只有本地区的督查室可以审批延期申请。"):
        services.extension_decide(extension=extension, by=world.other_office, approve=True)


def test_cooperating_unit_cannot_request_close(world):
    task = task_in(world, TaskStatus.IN_PROGRESS, lead_unit=world.yingji, cooperating_units=[world.wanan])
    with refused(task, PermissionDenied, "只有该任务的牵头单位可以申请销号。"):
        services.task_request_close(task=task, by=world.wanan_official)


def test_cooperating_unit_cannot_request_an_extension(world):
    task = task_in(world, TaskStatus.IN_PROGRESS, lead_unit=world.yingji, cooperating_units=[world.wanan])
    with refused(task, PermissionDenied, "只有该任务的牵头单位可以申请延期。"):
        services.extension_request(
            task=task, by=world.wanan_official, new_deadline=task.deadline + ONE_DAY, reason="配合单位想延期"
        )


def test_office_cannot_request_close_for_the_lead_unit(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    with refused(task, PermissionDenied, "只有该任务的牵头单位可以申请销号。"):
        services.task_request_close(task=task, by=world.office)


@pytest.mark.parametrize("official", ["shanmu_official", "other_official"])
def test_official_of_an_unrelated_unit_cannot_report_progress(world, official):
    task = task_in(world, TaskStatus.IN_PROGRESS, cooperating_units=[world.yingji])
    with refused(task, PermissionDenied, "只有该任务的牵头单位或配合单位可以填报进度。"):
        services.progress_report(task=task, by=getattr(world, official), percent=90, done="代为填报")


def test_leader_writes_an_instruction_on_a_task_in_the_county(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    instruction = services.instruction_write(task=task, by=world.leader, text="务必在节前整改到位")
    assert list(task.instructions.all()) == [instruction]
    assert (instruction.leader, instruction.text) == (world.leader, "务必在节前整改到位")


@pytest.mark.parametrize("who", ["office", "wanan_official", "inspector"])
def test_only_leaders_write_instructions(world, who):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    with refused(task, PermissionDenied, "只有本地区的领导可以作出批示。"):
        services.instruction_write(task=task, by=getattr(world, who), text="请抓紧")


def test_leader_of_another_county_cannot_write_an_instruction(world):
    other_leader = services.person_create(
        by=None, username="yd_leader", unit=world.other_county, role="leader", position="区长"
    )
    task = task_in(world, TaskStatus.IN_PROGRESS)
    with refused(task, PermissionDenied, "只有本地区的领导可以作出批示。"):
        services.instruction_write(task=task, by=other_leader, text="请抓紧")


# ---- Timeline rows --------------------------------------------------------------------------------------


def test_creating_a_task_records_who_created_it_and_what(world):
    task = world.task(cooperating_units=[world.yingji], responsible_leader=world.leader)
    (event,) = task.events.all()
    assert (event.kind, event.actor) == (EventKind.CREATED, world.office)
    assert event.before == {}
    assert event.after == {
        "code": task.code,
        "title": task.title,
        "lead_unit_id": world.wanan.pk,
        "start_date": task.start_date.isoformat(),
        "deadline": task.deadline.isoformat(),
        "status": "not_started",
        "cooperating_unit_ids": [world.yingji.pk],
        "responsible_leader_id": world.leader.pk,
    }


def test_progress_report_records_progress_and_status_before_and_after(world):
    task = world.task()
    mark = event_mark(task)
    report = services.progress_report(task=task, by=world.wanan_official, percent=40, done="排查井下隐患3处")
    (event,) = events_since(task, mark)
    assert (event.kind, event.actor, event.note) == (
        EventKind.PROGRESS_REPORTED,
        world.wanan_official,
        "排查井下隐患3处",
    )
    assert event.before == {"progress": 0, "status": "not_started"}
    assert event.after == {
        "progress": 40,
        "status": "in_progress",
        "report_id": report.pk,
        "unit_id": world.wanan.pk,
        "percent": 40,
        "attachments": 0,
    }


def test_cooperating_units_report_is_on_the_timeline_with_the_progress_unchanged(world):
    task = world.task(lead_unit=world.yingji, cooperating_units=[world.wanan])
    mark = event_mark(task)
    report = services.progress_report(task=task, by=world.wanan_official, percent=80, done="配合排查完成")
    (event,) = events_since(task, mark)
    assert (event.kind, event.actor) == (EventKind.PROGRESS_REPORTED, world.wanan_official)
    assert event.before == {"progress": 0, "status": "not_started"}
    assert event.after == {
        "progress": 0,
        "status": "not_started",
        "report_id": report.pk,
        "unit_id": world.wanan.pk,
        "percent": 80,
        "attachments": 0,
    }


def test_progress_report_counts_its_evidence_on_the_timeline(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    task = world.task()
    mark = event_mark(task)
    buffer = io.BytesIO()  # a real (tiny) JPEG: evidence is checked from its content
    Image.new("RGB", (8, 6)).save(buffer, "JPEG")
    photo = SimpleUploadedFile("现场照片.jpg", buffer.getvalue(), content_type="image/jpeg")
    report = services.progress_report(
        task=task, by=world.wanan_official, percent=20, done="现场检查", attachments=[photo]
    )
    (event,) = events_since(task, mark)
    assert event.after["attachments"] == 1
    assert [a.original_name for a in report.attachments.all()] == ["现场照片.jpg"]


def test_close_request_records_status_progress_and_returned_mark(world):
    task = task_in(world, TaskStatus.IN_PROGRESS, percent=90)
    mark = event_mark(task)
    services.task_request_close(task=task, by=world.wanan_official, note=" 隐患全部整改到位 ")
    (event,) = events_since(task, mark)
    assert (event.kind, event.actor, event.note) == (
        EventKind.CLOSE_REQUESTED,
        world.wanan_official,
        "隐患全部整改到位",
    )
    assert event.before == {"status": "in_progress", "progress": 90, "returned": False}
    assert event.after == {"status": "awaiting_close", "progress": 100, "returned": False}


def test_closing_records_when_and_whether_late(world, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 20, 9, 0, tzinfo=SHANGHAI), tick=False)
    task = task_in(
        world,
        TaskStatus.AWAITING_CLOSE,
        start_date=datetime.date(2026, 12, 1),
        deadline=datetime.date(2026, 12, 31),
    )
    mark = event_mark(task)
    moment = datetime.datetime(2026, 12, 30, 16, 30, tzinfo=SHANGHAI)
    time_machine.move_to(moment, tick=False)
    services.task_close(task=task, by=world.office, note="验收合格")
    (event,) = events_since(task, mark)
    assert (event.kind, event.actor, event.note, event.at) == (
        EventKind.CLOSED,
        world.office,
        "验收合格",
        moment,
    )
    assert event.before == {"status": "awaiting_close"}
    after = dict(event.after)
    assert datetime.datetime.fromisoformat(after.pop("closed_at")) == moment
    assert after == {"status": "closed", "closed_late": False}


def test_return_records_the_reason(world):
    task = task_in(world, TaskStatus.AWAITING_CLOSE)
    mark = event_mark(task)
    services.task_return(task=task, by=world.office, reason="佐证材料不全")
    (event,) = events_since(task, mark)
    assert (event.kind, event.actor, event.note) == (EventKind.RETURNED, world.office, "佐证材料不全")
    assert event.before == {"status": "awaiting_close", "returned": False}
    assert event.after == {"status": "in_progress", "returned": True}


def test_cancel_records_the_reason(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    mark = event_mark(task)
    services.task_cancel(task=task, by=world.office, reason="与其他任务合并")
    (event,) = events_since(task, mark)
    assert (event.kind, event.actor, event.note) == (EventKind.CANCELLED, world.office, "与其他任务合并")
    assert event.before == {"status": "in_progress"}
    assert event.after == {"status": "cancelled"}


def test_extension_request_records_the_deadline_asked_for(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    mark = event_mark(task)
    extension = request_extension(world, task, days_later=15, reason="寒潮停工")
    (event,) = events_since(task, mark)
    assert (event.kind, event.actor, event.note) == (
        EventKind.EXTENSION_REQUESTED,
        world.wanan_official,
        "寒潮停工",
    )
    assert event.before == {"deadline": task.deadline.isoformat()}
    assert event.after == {
        "extension_id": extension.pk,
        "new_deadline": (task.deadline + datetime.timedelta(days=15)).isoformat(),
    }
    task.refresh_from_db()
    assert task.deadline == extension.current_deadline


def test_approving_an_extension_moves_the_deadline_and_keeps_the_original(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    first_deadline = task.deadline
    extension = request_extension(world, task, days_later=10)
    mark = event_mark(task)
    services.extension_decide(extension=extension, by=world.office, approve=True)
    task.refresh_from_db()
    assert (task.deadline, task.original_deadline) == (extension.new_deadline, first_deadline)
    (event,) = events_since(task, mark)
    assert (event.kind, event.actor) == (EventKind.EXTENSION_APPROVED, world.office)
    assert event.before == {"deadline": first_deadline.isoformat()}
    assert event.after == {"deadline": extension.new_deadline.isoformat(), "extension_id": extension.pk}


def test_second_approved_extension_keeps_the_first_original_deadline(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    first_deadline = task.deadline
    services.extension_decide(extension=request_extension(world, task), by=world.office, approve=True)
    task.refresh_from_db()
    second = request_extension(world, task, days_later=5)
    services.extension_decide(extension=second, by=world.office, approve=True)
    task.refresh_from_db()
    assert (task.deadline, task.original_deadline) == (second.new_deadline, first_deadline)


def test_rejecting_an_extension_keeps_the_deadline_and_records_the_reason(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    deadline = task.deadline
    extension = request_extension(world, task)
    mark = event_mark(task)
    services.extension_decide(extension=extension, by=world.office, approve=False, reason="理由不充分")
    task.refresh_from_db()
    assert (task.deadline, task.original_deadline) == (deadline, None)
    extension.refresh_from_db()
    assert (extension.status, extension.decision_reason) == (ExtensionStatus.REJECTED, "理由不充分")
    (event,) = events_since(task, mark)
    assert (event.kind, event.actor, event.note) == (EventKind.EXTENSION_REJECTED, world.office, "理由不充分")
    assert event.before == {"deadline": deadline.isoformat()}
    assert event.after == {"deadline": deadline.isoformat(), "extension_id": extension.pk}


def test_rejecting_an_extension_needs_a_reason(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    extension = request_extension(world, task)
    with refused(task, ValidationError, "请填写驳回理由。"):
        services.extension_decide(extension=extension, by=world.office, approve=False, reason=" ")


def test_instruction_is_on_the_timeline(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    mark = event_mark(task)
    instruction = services.instruction_write(task=task, by=world.leader, text="务必在节前整改到位")
    (event,) = events_since(task, mark)
    assert (event.kind, event.actor, event.note) == (
        EventKind.INSTRUCTION_WRITTEN,
        world.leader,
        "务必在节前整改到位",
    )
    assert event.after == {"instruction_id": instruction.pk}


def test_adding_a_milestone_is_on_the_timeline(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    due = task.deadline - ONE_DAY
    mark = event_mark(task)
    milestone = services.milestone_add(task=task, by=world.wanan_official, title="完成井下排查", due_date=due)
    (event,) = events_since(task, mark)
    assert (event.kind, event.actor) == (EventKind.MILESTONE_ADDED, world.wanan_official)
    assert event.after == {"milestone_id": milestone.pk, "title": "完成井下排查", "due_date": due.isoformat()}


def test_completing_a_milestone_is_on_the_timeline(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    milestone = services.milestone_add(
        task=task, by=world.office, title="完成井下排查", due_date=task.deadline - ONE_DAY
    )
    mark = event_mark(task)
    services.milestone_complete(milestone=milestone, by=world.wanan_official)
    (event,) = events_since(task, mark)
    assert (event.kind, event.actor) == (EventKind.MILESTONE_DONE, world.wanan_official)
    assert event.after == {
        "milestone_id": milestone.pk,
        "title": "完成井下排查",
        "done_on": timezone.localdate().isoformat(),
        "late": False,
    }


def test_reassignment_records_who_was_responsible_before_and_after(world):
    task = task_in(world, TaskStatus.IN_PROGRESS, cooperating_units=[world.shanmu])
    mark = event_mark(task)
    services.task_assign(
        task=task, by=world.office, lead_unit=world.yingji, cooperating_units=[world.wanan], note="调整牵头"
    )
    (event,) = events_since(task, mark)
    assert (event.kind, event.actor, event.note) == (EventKind.ASSIGNED, world.office, "调整牵头")
    assert event.before == {
        "lead_unit_id": world.wanan.pk,
        "cooperating_unit_ids": [world.shanmu.pk],
        "responsible_leader_id": None,
    }
    assert event.after == {
        "lead_unit_id": world.yingji.pk,
        "cooperating_unit_ids": [world.wanan.pk],
        "responsible_leader_id": None,
    }


def test_reassignment_that_changes_nothing_leaves_the_timeline_alone(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    mark = event_mark(task)
    services.task_assign(task=task, by=world.office, lead_unit=world.wanan)
    assert events_since(task, mark) == []


def test_editing_a_task_records_the_changed_fields(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    old_title = task.title
    mark = event_mark(task)
    services.task_update(task=task, by=world.office, title="煤矿“三堂一舍”隐患排查整治")
    (event,) = events_since(task, mark)
    assert (event.kind, event.actor) == (EventKind.UPDATED, world.office)
    assert (event.before, event.after) == ({"title": old_title}, {"title": "煤矿“三堂一舍”隐患排查整治"})


def test_uploading_evidence_is_on_the_timeline(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    task = task_in(world, TaskStatus.IN_PROGRESS)
    mark = event_mark(task)
    upload = SimpleUploadedFile("整改报告.pdf", b"%PDF-1.4", content_type="application/pdf")
    attachment = services.attachment_add(task=task, by=world.wanan_official, file=upload)
    (event,) = events_since(task, mark)
    assert (event.kind, event.actor) == (EventKind.ATTACHMENT_ADDED, world.wanan_official)
    assert event.after == {"attachment_id": attachment.pk, "name": "整改报告.pdf"}


def test_refused_progress_report_writes_no_report_and_no_event(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    with refused(task, ValidationError, "进度必须是 0 到 100 之间的整数。"):
        services.progress_report(task=task, by=world.wanan_official, percent=101, done="超额完成")


# ---- Review follow-ups ----------------------------------------------------------------------------


def test_office_can_clear_the_responsible_leader(world):
    task = world.task(responsible_leader=world.leader)
    services.task_assign(task=task, by=world.office, responsible_leader=None)
    task.refresh_from_db()
    assert task.responsible_leader is None
    (event,) = TaskEvent.objects.filter(task=task, kind=EventKind.ASSIGNED)
    assert event.before["responsible_leader_id"] == world.leader.pk
    assert event.after["responsible_leader_id"] is None


def test_assigning_without_naming_a_leader_keeps_the_leader(world):
    task = world.task(responsible_leader=world.leader)
    services.task_assign(task=task, by=world.office, lead_unit=world.shanmu)
    task.refresh_from_db()
    assert task.responsible_leader == world.leader


def test_milestone_before_the_task_starts_is_refused(world):
    task = world.task()
    with pytest.raises(ValidationError, match="节点时限不能早于任务开始日期"):
        services.milestone_add(
            task=task, by=world.office, title="完成摸底", due_date=task.start_date - ONE_DAY
        )
    assert not Milestone.objects.filter(task=task).exists()


def test_closing_a_task_rejects_its_pending_extension_request(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    extension = request_extension(world, task)
    services.task_request_close(task=task, by=world.wanan_official)
    services.task_close(task=task, by=world.office)
    extension.refresh_from_db()
    assert extension.status == ExtensionStatus.REJECTED
    assert extension.decision_reason == "任务已销号"
    closed = TaskEvent.objects.get(task=task, kind=EventKind.CLOSED)
    assert closed.after["rejected_extension_ids"] == [extension.pk]


# ---- Units and people: who may create them ----------------------------------------------------------


def test_office_creates_a_unit_in_its_county(world):
    unit = services.unit_create(by=world.office, name="县审计局", kind="department", parent=world.county)
    assert unit.path == f"{world.county.path}{unit.pk}/"


def test_office_cannot_create_a_unit_in_another_county(world):
    with pytest.raises(PermissionDenied):
        services.unit_create(by=world.office, name="县审计局", kind="department", parent=world.other_county)
    assert not world.other_county.children.filter(name="县审计局").exists()


def test_township_official_cannot_create_people(world):
    with pytest.raises(PermissionDenied):
        services.person_create(
            by=world.wanan_official, username="new", unit=world.wanan, role="unit_official"
        )


def test_office_cannot_create_a_superuser(world):
    with pytest.raises(PermissionDenied, match="超级管理员"):
        services.person_create(
            by=world.office, username="root", unit=world.county, role="office", is_superuser=True
        )


def test_office_of_another_county_cannot_link_a_leader_to_our_township(world):
    with pytest.raises(PermissionDenied):
        services.leader_charge_add(
            by=world.other_office, leader=world.leader, unit=world.wanan, kind="liaison"
        )
    assert not world.leader.charges.exists()
