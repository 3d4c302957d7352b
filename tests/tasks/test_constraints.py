"""Every database constraint: the services refuse bad input with a clear message and write nothing,
and the database itself refuses it when code goes around the services."""

import datetime

import pytest
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from tasks import services
from tasks.models import (
    Campaign,
    ExtensionRequest,
    ExtensionStatus,
    Instruction,
    LeaderCharge,
    Milestone,
    Person,
    ProgressReport,
    SpecialAction,
    Task,
    TaskCooperation,
    TaskEvent,
    TaskStatus,
    Unit,
)
from tests.factories import days
from tests.tasks.test_services import refused, request_extension, task_in

ONE_DAY = datetime.timedelta(days=1)


def messages(excinfo) -> list[str]:
    return excinfo.value.messages


# ---- Progress within 0–100 ----------------------------------------------------------------------------


@pytest.mark.parametrize("percent", [-1, 101])
def test_progress_report_outside_0_to_100_is_refused(world, percent):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    with refused(task, ValidationError, "进度必须是 0 到 100 之间的整数。"):
        services.progress_report(task=task, by=world.wanan_official, percent=percent, done="超额完成")


@pytest.mark.parametrize("percent", [0, 100])
def test_progress_report_of_0_or_100_is_accepted(world, percent):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    services.progress_report(
        task=task, by=world.wanan_official, percent=percent, done="如实填报", lowering_reason="如实复核"
    )
    task.refresh_from_db()
    assert task.progress == percent


def test_progress_is_a_whole_number(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    with refused(task, ValidationError, "进度必须是 0 到 100 之间的整数。"):
        services.progress_report(task=task, by=world.wanan_official, percent="50", done="文本进度")


def test_database_refuses_task_progress_above_100(world):
    task = world.task()
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=task.pk).update(progress=101)
    task.refresh_from_db()
    assert task.progress == 0


def test_database_refuses_task_progress_above_100_in_raw_sql(world):
    task = world.task()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Task._meta.db_table} SET progress = 101 WHERE id = %s", [task.pk])
    task.refresh_from_db()
    assert task.progress == 0


def test_database_refuses_a_progress_report_above_100(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressReport.objects.filter(task=task).update(percent=101)


def test_task_validation_explains_the_progress_range(world):
    task = world.task()
    task.progress = 101
    with pytest.raises(ValidationError) as excinfo:
        task.full_clean()
    assert "进度必须在 0 到 100 之间。" in messages(excinfo)


# ---- Deadline not before start --------------------------------------------------------------------------


def test_task_with_deadline_before_its_start_is_refused_and_nothing_written(world):
    with pytest.raises(ValidationError) as excinfo:
        world.task(start_date=days(0), deadline=days(-1))
    assert messages(excinfo) == ["完成时限不能早于开始日期。"]
    assert not Task.objects.exists()
    assert not TaskEvent.objects.exists()


def test_task_may_be_due_on_the_day_it_starts(world):
    task = world.task(start_date=days(0), deadline=days(0))
    assert task.deadline == task.start_date


def test_database_refuses_a_deadline_before_the_start(world):
    task = world.task()
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=task.pk).update(deadline=F("start_date") - ONE_DAY)


def test_campaign_ending_before_it_starts_is_refused(world):
    with pytest.raises(ValidationError) as excinfo:
        services.campaign_create(
            owner=world.county,
            name="倒置的行动",
            code="DZ",
            start_date=days(5),
            end_date=days(4),
            by=world.office,
        )
    assert messages(excinfo) == ["结束日期不能早于开始日期。"]
    assert not Campaign.objects.filter(name="倒置的行动").exists()


def test_database_refuses_a_campaign_ending_before_it_starts(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.filter(pk=world.campaign.pk).update(end_date=F("start_date") - ONE_DAY)


# ---- Lead unit is not also cooperating ------------------------------------------------------------------


def test_task_with_its_lead_unit_also_cooperating_is_refused_and_nothing_written(world):
    with pytest.raises(ValidationError) as excinfo:
        world.task(lead_unit=world.wanan, cooperating_units=[world.shanmu, world.wanan])
    assert messages(excinfo) == ["牵头单位不能同时是配合单位。"]
    assert not Task.objects.exists()
    assert not TaskCooperation.objects.exists()
    assert not TaskEvent.objects.exists()


def test_reassigning_with_the_lead_unit_among_the_cooperating_is_refused(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    with refused(task, ValidationError, "牵头单位不能同时是配合单位。"):
        services.task_assign(task=task, by=world.office, cooperating_units=[world.wanan])


def test_making_a_cooperating_unit_the_lead_while_it_still_cooperates_is_refused(world):
    task = task_in(world, TaskStatus.IN_PROGRESS, cooperating_units=[world.yingji])
    with refused(task, ValidationError, "牵头单位不能同时是配合单位。"):
        services.task_assign(task=task, by=world.office, lead_unit=world.yingji)


def test_cooperating_unit_becomes_the_lead_when_the_cooperating_list_changes_too(world):
    task = task_in(world, TaskStatus.IN_PROGRESS, cooperating_units=[world.yingji])
    services.task_assign(task=task, by=world.office, lead_unit=world.yingji, cooperating_units=[world.wanan])
    assert list(task.cooperations.values_list("unit", "lead_unit")) == [(world.wanan.pk, world.yingji.pk)]


def test_database_refuses_the_lead_unit_as_a_cooperating_unit(world):
    task = world.task(lead_unit=world.wanan)
    with pytest.raises(IntegrityError), transaction.atomic():
        TaskCooperation.objects.create(task=task, unit=world.wanan, lead_unit=world.wanan)


def test_database_refuses_moving_the_lead_to_a_cooperating_unit_behind_the_services_back(world, postgres):
    task = world.task(lead_unit=world.wanan, cooperating_units=[world.shanmu])
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=task.pk).update(lead_unit=world.shanmu)


def test_database_refuses_the_lead_unit_as_cooperating_under_a_stale_lead_copy(world, postgres):
    task = world.task(lead_unit=world.wanan)
    with pytest.raises(IntegrityError), transaction.atomic():
        TaskCooperation.objects.create(task=task, unit=world.wanan, lead_unit=world.shanmu)


def test_database_refuses_the_same_cooperating_unit_twice(world):
    task = world.task(lead_unit=world.wanan, cooperating_units=[world.shanmu])
    with pytest.raises(IntegrityError), transaction.atomic():
        TaskCooperation.objects.create(task=task, unit=world.shanmu, lead_unit=world.wanan)


def test_repeated_cooperating_unit_is_kept_once(world):
    task = world.task(cooperating_units=[world.shanmu, world.shanmu])
    assert list(task.cooperating_units.all()) == [world.shanmu]


# ---- Task code unique within a campaign --------------------------------------------------------------------


def test_same_task_code_twice_in_a_campaign_is_refused(world):
    world.task(code="HD-AQ-100")
    with pytest.raises(ValidationError) as excinfo:
        world.task(code="HD-AQ-100", title="消防安全大排查")
    assert messages(excinfo) == ["本次行动中已有相同编号的任务。"]
    assert list(Task.objects.values_list("code", flat=True)) == ["HD-AQ-100"]
    assert TaskEvent.objects.count() == 1


def test_same_task_code_in_another_campaign_is_fine(world):
    next_year = services.campaign_create(
        owner=world.county,
        name="洪洞县2027冬季行动",
        code="HD",
        start_date=days(300),
        end_date=days(400),
        by=world.office,
    )
    safety = services.special_action_create(
        campaign=next_year, name="安全生产专项行动", code="AQ", by=world.office
    )
    first = world.task(code="HD-AQ-100")
    second = world.task(code="HD-AQ-100", campaign=next_year, special_action=safety)
    assert (first.code, second.code) == ("HD-AQ-100", "HD-AQ-100")


def test_tasks_without_a_code_are_numbered_in_turn(world):
    codes = [world.task(title=f"任务{n}").code for n in range(3)]
    assert codes == ["HD-AQ-001", "HD-AQ-002", "HD-AQ-003"]


def test_database_refuses_a_duplicate_task_code_in_a_campaign(world):
    first = world.task()
    second = world.task()
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=second.pk).update(code=first.code)


def test_same_special_action_code_twice_in_a_campaign_is_refused(world):
    with pytest.raises(ValidationError) as excinfo:
        services.special_action_create(
            campaign=world.campaign, name="安全生产二期", code="aq", by=world.office
        )
    assert messages(excinfo) == ["本次行动中已有相同编号的专项行动。"]
    assert SpecialAction.objects.count() == 1


def test_same_special_action_name_twice_in_a_campaign_is_refused(world):
    with pytest.raises(ValidationError) as excinfo:
        services.special_action_create(
            campaign=world.campaign, name="安全生产专项行动", code="AQ2", by=world.office
        )
    assert messages(excinfo) == ["本次行动中已有同名的专项行动。"]


def test_database_refuses_a_duplicate_special_action_code(world):
    other = services.special_action_create(
        campaign=world.campaign, name="生态环保专项行动", code="ST", by=world.office
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        SpecialAction.objects.filter(pk=other.pk).update(code="AQ")


def test_same_campaign_name_twice_for_one_county_is_refused(world):
    with pytest.raises(ValidationError) as excinfo:
        services.campaign_create(
            owner=world.county,
            name="洪洞县冬季行动",
            code="HD",
            start_date=days(0),
            end_date=days(30),
            by=world.office,
        )
    assert messages(excinfo) == ["该单位已有同名的行动。"]
    assert Campaign.objects.count() == 1


# ---- Extensions ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("days_later", [0, -3], ids=["same-day", "earlier"])
def test_extension_to_a_deadline_not_later_than_the_current_one_is_refused(world, days_later):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    with refused(task, ValidationError, f"申请的新时限必须晚于当前时限({task.deadline})。"):
        request_extension(world, task, days_later=days_later)


def test_database_refuses_an_extension_that_does_not_move_the_deadline_later(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    extension = request_extension(world, task)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExtensionRequest.objects.filter(pk=extension.pk).update(new_deadline=F("current_deadline"))


def test_database_refuses_a_second_pending_extension(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    request_extension(world, task)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExtensionRequest.objects.create(
            task=task,
            requested_by=world.wanan_official,
            reason="再申请一次",
            current_deadline=task.deadline,
            new_deadline=task.deadline + ONE_DAY * 30,
        )
    assert ExtensionRequest.objects.filter(task=task).count() == 1


def test_new_extension_may_be_requested_once_the_last_one_is_decided(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    first = request_extension(world, task)
    services.extension_decide(extension=first, by=world.office, approve=False, reason="理由不充分")
    second = request_extension(world, task, days_later=5, reason="补充了理由")
    assert second.status == ExtensionStatus.PENDING


def test_database_refuses_a_decision_without_who_and_when(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    extension = request_extension(world, task)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExtensionRequest.objects.filter(pk=extension.pk).update(status=ExtensionStatus.APPROVED)


# ---- closed_at only when closed ---------------------------------------------------------------------------


def test_closed_task_has_its_closing_time(world):
    task = task_in(world, TaskStatus.CLOSED)
    assert task.closed_at is not None


@pytest.mark.parametrize("status", [TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS, TaskStatus.CANCELLED])
def test_database_refuses_a_closing_time_on_a_task_that_is_not_closed(world, status):
    task = task_in(world, status)
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=task.pk).update(closed_at=timezone.now())


def test_database_refuses_a_late_close_mark_on_an_open_task(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=task.pk).update(closed_late=True)


def test_database_refuses_a_closed_task_without_a_closing_time(world):
    task = task_in(world, TaskStatus.AWAITING_CLOSE)
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=task.pk).update(status=TaskStatus.CLOSED)


def test_database_refuses_to_reopen_a_closed_task_that_keeps_its_closing_time(world):
    task = task_in(world, TaskStatus.CLOSED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=task.pk).update(status=TaskStatus.IN_PROGRESS)


def test_database_refuses_a_task_as_its_own_parent(world):
    task = world.task()
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=task.pk).update(parent=task.pk)


# ---- Units ------------------------------------------------------------------------------------------------


def test_two_units_of_the_same_name_under_one_parent_are_refused(world):
    with pytest.raises(ValidationError) as excinfo:
        services.unit_create(by=None, name="万安镇", kind="township", parent=world.county)
    assert messages(excinfo) == ["同一上级单位下已有同名单位。"]
    assert Unit.objects.filter(name="万安镇").count() == 1


def test_same_unit_name_under_another_parent_is_fine(world):
    unit = services.unit_create(by=None, name="万安镇", kind="township", parent=world.other_county)
    assert unit.path.startswith(world.other_county.path)


def test_name_is_compared_after_trimming_spaces(world):
    with pytest.raises(ValidationError) as excinfo:
        services.unit_create(by=None, name=" 万安镇 ", kind="township", parent=world.county)
    assert messages(excinfo) == ["同一上级单位下已有同名单位。"]


def test_two_top_level_units_of_the_same_name_are_refused(world):
    with pytest.raises(ValidationError) as excinfo:
        services.unit_create(by=None, name="临汾市", kind="city")
    assert messages(excinfo) == ["已有同名的顶级单位。"]
    assert Unit.objects.filter(name="临汾市").count() == 1


def test_township_without_a_parent_is_refused(world):
    with pytest.raises(ValidationError) as excinfo:
        services.unit_create(by=None, name="无主镇", kind="township")
    assert messages(excinfo) == ["乡镇、部门和企业必须有上级单位。"]
    assert not Unit.objects.filter(name="无主镇").exists()


def test_database_refuses_two_units_of_the_same_name_under_one_parent(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(name="万安镇", full_name="万安镇", kind="township", parent=world.county)


def test_database_refuses_two_top_level_units_of_the_same_name(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(name="临汾市", full_name="临汾市", kind="city", parent=None)


def test_database_refuses_a_top_level_unit_that_is_not_a_region(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(name="无主镇", full_name="无主镇", kind="township", parent=None)


# ---- People ---------------------------------------------------------------------------------------------


def test_person_without_a_unit_is_refused(world):
    with pytest.raises(ValidationError) as excinfo:
        services.person_create(by=None, username="nobody", unit=None, role="unit_official")
    assert messages(excinfo) == ["除超级管理员外,每个人员都必须属于一个单位。"]
    assert not Person.objects.filter(username="nobody").exists()


def test_superuser_needs_no_unit(world):
    admin = services.person_create(by=None, username="admin", unit=None, role="office", is_superuser=True)
    assert (admin.unit, admin.is_superuser) == (None, True)


def test_people_created_with_one_password_hash_sign_in_with_that_password(world):
    hashed = make_password("shared-secret")
    people = [
        services.person_create(
            by=None, username=name, unit=world.wanan, role="unit_official", password_hash=hashed
        )
        for name in ("first", "second")
    ]
    assert [person.check_password("shared-secret") for person in people] == [True, True]
    assert not people[0].check_password("another")


def test_a_person_is_given_a_password_or_its_hash_not_both(world):
    with pytest.raises(ValueError):
        services.person_create(
            by=None,
            username="both",
            unit=world.wanan,
            role="unit_official",
            password="x",
            password_hash=make_password("y"),
        )
    assert not Person.objects.filter(username="both").exists()


def test_database_refuses_a_person_without_a_unit(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.filter(pk=world.wanan_official.pk).update(unit=None)


def test_leader_charged_with_a_unit_twice_is_refused(world):
    services.leader_charge_add(by=None, leader=world.leader, unit=world.wanan, kind="liaison")
    with pytest.raises(ValidationError) as excinfo:
        services.leader_charge_add(by=None, leader=world.leader, unit=world.wanan, kind="liaison")
    assert messages(excinfo) == ["该领导已分管/包联此单位。"]
    assert LeaderCharge.objects.count() == 1


def test_database_refuses_the_same_leader_charge_twice(world):
    services.leader_charge_add(by=None, leader=world.leader, unit=world.wanan, kind="liaison")
    with pytest.raises(IntegrityError), transaction.atomic():
        LeaderCharge.objects.create(leader=world.leader, unit=world.wanan, kind="liaison")


# ---- Milestones ------------------------------------------------------------------------------------------


def test_two_milestones_of_the_same_name_on_a_task_are_refused(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    due = task.deadline - ONE_DAY
    services.milestone_add(task=task, by=world.wanan_official, title="完成井下排查", due_date=due)
    with refused(task, ValidationError, "该任务已有同名节点。"):
        services.milestone_add(task=task, by=world.wanan_official, title="完成井下排查", due_date=due)


def test_milestone_after_the_tasks_deadline_is_refused(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    with refused(task, ValidationError, f"节点时限不能晚于任务完成时限({task.deadline})。"):
        services.milestone_add(
            task=task, by=world.wanan_official, title="完成井下排查", due_date=task.deadline + ONE_DAY
        )


def test_database_refuses_a_milestone_done_without_who_confirmed_it(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    milestone = services.milestone_add(
        task=task, by=world.wanan_official, title="完成井下排查", due_date=task.deadline
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Milestone.objects.filter(pk=milestone.pk).update(done_on=timezone.localdate())


# ---- Text that must not be empty --------------------------------------------------------------------------


def test_progress_report_needs_what_was_done(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    with refused(task, ValidationError, "请填写已完成工作。"):
        services.progress_report(task=task, by=world.wanan_official, percent=50, done="   ")


def test_instruction_needs_text(world):
    task = task_in(world, TaskStatus.IN_PROGRESS)
    with refused(task, ValidationError, "请填写批示内容。"):
        services.instruction_write(task=task, by=world.leader, text="")
    assert not Instruction.objects.exists()
