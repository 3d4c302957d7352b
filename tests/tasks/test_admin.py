"""The supervision office's admin: every write goes through a service and lands on the timeline."""

import pytest
from django.contrib.admin.sites import site
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tasks import services
from tasks.models import (
    EventKind,
    ExtensionStatus,
    Milestone,
    Person,
    Role,
    Task,
    TaskEvent,
    TaskStatus,
    Unit,
)
from tests.factories import days


def admin_form_data(response) -> dict:
    """What the admin page in `response` would post if submitted as it stands."""

    def field_values(form, names, data):
        for name in names:
            value = form[name].value()
            if value is None or value is False:
                continue
            if isinstance(value, list | tuple):
                value = [str(v) for v in value]
            data[form.add_prefix(name)] = value

    data = {}
    adminform = response.context["adminform"]
    field_values(adminform.form, adminform.form.fields, data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for form in formset.initial_forms:
            field_values(form, [name for name in form.fields if not form.fields[name].disabled], data)
    return data


def add_task_data(world, **overrides) -> dict:
    data = {
        "campaign": world.campaign.pk,
        "special_action": world.safety.pk,
        "title": "非煤矿山安全隐患排查",
        "lead_unit": world.wanan.pk,
        "cooperating": [world.shanmu.pk],
        "responsible_leader": world.leader.pk,
        "priority": 1,
        "start_date": days(-1).isoformat(),
        "deadline": days(20).isoformat(),
        "milestones-TOTAL_FORMS": 0,
        "milestones-INITIAL_FORMS": 0,
        "milestones-MIN_NUM_FORMS": 0,
        "milestones-MAX_NUM_FORMS": 1000,
    }
    data.update(overrides)
    return data


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def kinds(task) -> list[str]:
    return list(task.events.order_by("at", "id").values_list("kind", flat=True))


@pytest.fixture
def office_client(client, world):
    client.force_login(world.office)
    return client


def awaiting_close(world, **kwargs):
    task = world.task(**kwargs)
    services.progress_report(task=task, by=world.wanan_official, percent=90, done="已排查 12 处")
    return services.task_request_close(task=task, by=world.wanan_official)


# ---- Adding and changing a task ----------------------------------------------------------------


def test_office_adds_a_task_and_it_is_created_through_the_service(office_client, world):
    response = office_client.post(reverse("admin:tasks_task_add"), add_task_data(world))

    assert response.status_code == 302
    task = Task.objects.get(title="非煤矿山安全隐患排查")
    assert task.code == "HD-AQ-001"
    assert list(task.cooperating_units.all()) == [world.shanmu]
    assert task.responsible_leader == world.leader
    event = task.events.get()
    assert (event.kind, event.actor) == (EventKind.CREATED, world.office)


def test_deadline_before_start_shows_the_chinese_error_and_creates_nothing(office_client, world):
    data = add_task_data(world, start_date=days(5).isoformat(), deadline=days(1).isoformat())

    response = office_client.post(reverse("admin:tasks_task_add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["deadline"] == ["完成时限不能早于开始日期。"]
    assert "完成时限不能早于开始日期。" in response.content.decode()
    assert not Task.objects.exists()


def test_a_refusal_only_the_service_can_make_is_shown_on_the_form(client, world):
    # The city office may pick any unit in the city, but not one outside the county's campaign.
    client.force_login(world.city_office)
    response = client.post(
        reverse("admin:tasks_task_add"), add_task_data(world, lead_unit=world.other_town.pk)
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["lead_unit"] == ["屯里镇不在洪洞县范围内。"]
    assert not Task.objects.exists()


def test_changing_the_lead_unit_writes_an_assigned_event(office_client, world):
    task = world.task(cooperating_units=[world.shanmu])
    url = reverse("admin:tasks_task_change", args=[task.pk])
    data = admin_form_data(office_client.get(url))
    data["lead_unit"] = world.yingji.pk

    response = office_client.post(url, data)

    assert response.status_code == 302
    task.refresh_from_db()
    assert task.lead_unit == world.yingji
    assert list(task.cooperating_units.all()) == [world.shanmu]
    event = task.events.latest("at", "id")
    assert event.kind == EventKind.ASSIGNED
    assert (event.before["lead_unit_id"], event.after["lead_unit_id"]) == (world.wanan.pk, world.yingji.pk)


def test_editing_the_title_writes_an_updated_event_and_leaves_the_dates_alone(office_client, world):
    task = world.task()
    url = reverse("admin:tasks_task_change", args=[task.pk])
    data = admin_form_data(office_client.get(url))
    data.update(title="煤矿“三堂一舍”隐患排查整治", deadline=days(90).isoformat(), status="closed")

    office_client.post(url, data)

    task.refresh_from_db()
    assert task.title == "煤矿“三堂一舍”隐患排查整治"
    assert (task.deadline, task.status) == (days(10), TaskStatus.NOT_STARTED)
    assert kinds(task) == [EventKind.CREATED, EventKind.UPDATED]


def test_a_closed_task_opens_read_only(office_client, world):
    task = awaiting_close(world)
    services.task_close(task=task, by=world.office)

    response = office_client.get(reverse("admin:tasks_task_change", args=[task.pk]))

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False


# ---- Milestones inline ----------------------------------------------------------------------------


def test_adding_an_inline_milestone_writes_milestone_added(office_client, world):
    task = world.task()
    url = reverse("admin:tasks_task_change", args=[task.pk])
    data = admin_form_data(office_client.get(url))
    data.update({"milestones-0-title": "完成全面排查", "milestones-0-due_date": days(5).isoformat()})

    response = office_client.post(url, data)

    assert response.status_code == 302
    milestone = task.milestones.get()
    assert (milestone.title, milestone.due_date) == ("完成全面排查", days(5))
    assert kinds(task) == [EventKind.CREATED, EventKind.MILESTONE_ADDED]


def test_a_milestone_added_with_a_new_task_lands_on_its_timeline(office_client, world):
    data = add_task_data(
        world,
        **{
            "milestones-TOTAL_FORMS": 1,
            "milestones-0-title": "制定方案",
            "milestones-0-due_date": days(3).isoformat(),
        },
    )

    office_client.post(reverse("admin:tasks_task_add"), data)

    task = Task.objects.get()
    assert kinds(task) == [EventKind.CREATED, EventKind.MILESTONE_ADDED]


def test_ticking_a_milestone_done_writes_milestone_done_and_other_edits_are_ignored(office_client, world):
    task = world.task()
    milestone = services.milestone_add(task=task, by=world.office, title="完成全面排查", due_date=days(5))
    url = reverse("admin:tasks_task_change", args=[task.pk])
    data = admin_form_data(office_client.get(url))
    data.update({"milestones-0-done_on": days(0).isoformat(), "milestones-0-title": "改过的名字"})

    response = office_client.post(url, data)

    assert response.status_code == 302
    milestone.refresh_from_db()
    assert (milestone.title, milestone.done_on, milestone.completed_by) == (
        "完成全面排查",
        days(0),
        world.office,
    )
    assert kinds(task)[-1] == EventKind.MILESTONE_DONE


def test_a_refused_milestone_shows_on_its_row_and_the_new_task_is_not_saved(office_client, world):
    data = add_task_data(
        world,
        **{
            "milestones-TOTAL_FORMS": 1,
            "milestones-0-title": "验收",
            "milestones-0-due_date": days(30).isoformat(),  # after the task's deadline
        },
    )

    response = office_client.post(reverse("admin:tasks_task_add"), data)

    assert response.status_code == 200
    row = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert row.errors["due_date"] == [f"节点时限不能晚于任务完成时限({days(20)})。"]
    assert not Task.objects.exists()
    assert not TaskEvent.objects.exists()


# ---- Status actions ---------------------------------------------------------------------------------


def act(client, action, tasks, **extra):
    data = {"action": action, "_selected_action": [task.pk for task in tasks], "index": 0, **extra}
    return client.post(reverse("admin:tasks_task_changelist"), data, follow=True)


def test_close_action_closes_an_awaiting_close_task(office_client, world):
    task = awaiting_close(world)

    response = act(office_client, "close_tasks", [task])

    task.refresh_from_db()
    assert task.status == TaskStatus.CLOSED
    assert kinds(task)[-1] == EventKind.CLOSED
    assert messages_of(response) == ["已销号 1 项任务。"]


def test_close_action_on_a_not_started_task_shows_an_error_and_changes_nothing(office_client, world):
    task = world.task()

    response = act(office_client, "close_tasks", [task])

    assert response.status_code == 200
    task.refresh_from_db()
    assert task.status == TaskStatus.NOT_STARTED
    assert kinds(task) == [EventKind.CREATED]
    assert messages_of(response) == [f"{task}:任务当前状态为“未开始”,不能销号。"]


def test_close_action_reports_each_task_on_its_own(office_client, world):
    ready = awaiting_close(world)
    not_ready = world.task(title="另一项任务")

    response = act(office_client, "close_tasks", [ready, not_ready])

    assert Task.objects.get(pk=ready.pk).status == TaskStatus.CLOSED
    assert Task.objects.get(pk=not_ready.pk).status == TaskStatus.NOT_STARTED
    assert len(messages_of(response)) == 2


def test_cancel_action_asks_for_a_reason_before_cancelling(office_client, world):
    task = world.task()
    selected = {"action": "cancel_tasks", "_selected_action": [task.pk]}
    url = reverse("admin:tasks_task_changelist")

    confirm = office_client.post(url, {**selected, "index": 0})
    assert confirm.status_code == 200
    assert "撤销理由" in confirm.content.decode()
    assert Task.objects.get(pk=task.pk).status == TaskStatus.NOT_STARTED

    missing = office_client.post(url, {**selected, "apply": "1", "reason": " "})
    assert missing.status_code == 200
    assert Task.objects.get(pk=task.pk).status == TaskStatus.NOT_STARTED

    office_client.post(url, {**selected, "apply": "1", "reason": "并入县级统一整治"})
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED
    assert task.events.latest("at", "id").note == "并入县级统一整治"


def test_return_action_sends_a_close_request_back(office_client, world):
    task = awaiting_close(world)
    url = reverse("admin:tasks_task_changelist")

    office_client.post(
        url, {"action": "return_tasks", "_selected_action": [task.pk], "apply": "1", "reason": "佐证材料不全"}
    )

    task.refresh_from_db()
    assert (task.status, task.returned) == (TaskStatus.IN_PROGRESS, True)
    assert kinds(task)[-1] == EventKind.RETURNED


# ---- Extensions ------------------------------------------------------------------------------------


def test_approving_an_extension_moves_the_deadline(office_client, world):
    task = world.task()
    extension = services.extension_request(
        task=task, by=world.wanan_official, new_deadline=days(30), reason="冬季施工受限"
    )
    url = reverse("admin:tasks_extensionrequest_changelist")

    office_client.post(url, {"action": "approve", "_selected_action": [extension.pk], "index": 0})

    task.refresh_from_db()
    assert (task.deadline, task.original_deadline) == (days(30), days(10))
    assert kinds(task)[-1] == EventKind.EXTENSION_APPROVED


def test_rejecting_an_extension_needs_a_reason(office_client, world):
    task = world.task()
    extension = services.extension_request(
        task=task, by=world.wanan_official, new_deadline=days(30), reason="冬季施工受限"
    )
    url = reverse("admin:tasks_extensionrequest_changelist")

    office_client.post(
        url, {"action": "reject", "_selected_action": [extension.pk], "apply": "1", "reason": "理由不充分"}
    )

    extension.refresh_from_db()
    assert (extension.status, extension.decision_reason) == (ExtensionStatus.REJECTED, "理由不充分")
    assert kinds(task)[-1] == EventKind.EXTENSION_REJECTED


# ---- The timeline cannot be edited ----------------------------------------------------------------


def test_task_event_change_and_delete_pages_are_refused_even_for_a_superuser(client, world):
    root = services.person_create(by=None, username="root", unit=None, role=Role.OFFICE, is_superuser=True)
    event = world.task().events.get()
    client.force_login(root)

    change = reverse("admin:tasks_taskevent_change", args=[event.pk])
    delete = reverse("admin:tasks_taskevent_delete", args=[event.pk])
    assert client.get(change).status_code == 403
    assert client.post(change, {"note": "改写"}).status_code == 403
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:tasks_taskevent_changelist")).status_code == 200
    event.refresh_from_db()
    assert event.note == ""


def test_the_task_page_shows_its_timeline_read_only_newest_last(office_client, world):
    task = world.task()
    services.task_update(task=task, by=world.office, title="新标题")

    response = office_client.get(reverse("admin:tasks_task_change", args=[task.pk]))

    timeline = response.context["inline_admin_formsets"][1]
    assert [form.instance.kind for form in timeline.formset.forms] == [EventKind.CREATED, EventKind.UPDATED]
    assert not timeline.has_change_permission and not timeline.has_delete_permission


# ---- Scope and cost of the list -----------------------------------------------------------------


def test_another_countys_office_does_not_see_the_countys_tasks(client, world):
    task = world.task()
    client.force_login(world.other_office)

    response = client.get(reverse("admin:tasks_task_changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
    assert task.code not in response.content.decode()
    change = client.get(reverse("admin:tasks_task_change", args=[task.pk]))
    assert change.status_code == 302  # "does not exist", like a task that was never there


def test_the_office_sees_its_countys_tasks_with_flags(office_client, world):
    late = world.task(title="逾期任务", start_date=days(-20), deadline=days(-1))
    world.task(title="正常任务", deadline=days(30))

    response = office_client.get(reverse("admin:tasks_task_changelist"), {"flag": "overdue"})

    assert [task.pk for task in response.context["cl"].result_list] == [late.pk]


def changelist_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:tasks_task_changelist"))
    assert response.status_code == 200
    return len(queries)


def test_the_task_changelist_runs_a_fixed_number_of_queries(office_client, world):
    for n in range(3):
        world.task(title=f"任务{n}", cooperating_units=[world.shanmu], responsible_leader=world.leader)
    three = changelist_queries(office_client)
    for n in range(3, 10):
        world.task(title=f"任务{n}", lead_unit=world.yingji, cooperating_units=[world.wanan])
    assert changelist_queries(office_client) == three


# ---- The other models ------------------------------------------------------------------------------


def test_office_adds_a_unit_person_campaign_and_special_action_through_the_services(office_client, world):
    office_client.post(
        reverse("admin:tasks_unit_add"),
        {"parent": world.county.pk, "kind": "township", "name": "赵城镇", "full_name": "", "sort_order": 3},
    )
    unit = Unit.objects.get(name="赵城镇")
    assert (unit.path, unit.full_name) == (f"{world.county.path}{unit.pk}/", "赵城镇")

    office_client.post(
        reverse("admin:tasks_person_add"),
        {
            "username": "zhaocheng",
            "usable_password": "true",
            "password1": "Winter-Action-2024",
            "password2": "Winter-Action-2024",
            "unit": unit.pk,
            "position": "镇长",
            "role": "office",
        },
    )
    person = Person.objects.get(username="zhaocheng")
    assert (person.unit, person.is_staff, person.check_password("Winter-Action-2024")) == (unit, True, True)

    office_client.post(
        reverse("admin:tasks_campaign_add"),
        {
            "owner": world.county.pk,
            "name": "2025年冬季行动",
            "code": "hd25",
            "start_date": days(0).isoformat(),
            "end_date": days(90).isoformat(),
        },
    )
    campaign = world.county.campaigns.get(name="2025年冬季行动")
    assert campaign.code == "HD25"

    office_client.post(
        reverse("admin:tasks_specialaction_add"),
        {"campaign": campaign.pk, "name": "文旅提升专项行动", "code": "wl", "sort_order": 1},
    )
    assert campaign.special_actions.get().code == "WL"


def test_renaming_a_unit_keeps_its_place_in_the_tree(office_client, world):
    url = reverse("admin:tasks_unit_change", args=[world.wanan.pk])
    office_client.post(
        url,
        {
            "name": "万安镇人民政府",
            "full_name": "洪洞县万安镇人民政府",
            "sort_order": 2,
            "parent": world.city.pk,
        },
    )
    world.wanan.refresh_from_db()
    assert (world.wanan.name, world.wanan.parent, world.wanan.path) == (
        "万安镇人民政府",
        world.county,
        f"{world.county.path}{world.wanan.pk}/",
    )


def test_renaming_a_unit_moves_the_tasks_that_show_its_name(office_client, world, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    led, helped, elsewhere = (
        world.task(),
        world.task(lead_unit=world.yingji, cooperating_units=[world.wanan]),
        world.task(lead_unit=world.shanmu),
    )
    before = dict(Task.objects.values_list("pk", "updated_at"))
    time_machine.shift(60)

    office_client.post(
        reverse("admin:tasks_unit_change", args=[world.wanan.pk]),
        {"name": "万安镇人民政府", "full_name": "洪洞县万安镇人民政府", "sort_order": 2},
    )

    after = dict(Task.objects.values_list("pk", "updated_at"))
    moved = {pk for pk in after if after[pk] != before[pk]}
    assert moved == {led.pk, helped.pk}
    assert elsewhere.pk not in moved


def test_a_leaders_new_position_moves_the_tasks_they_answer_for(office_client, world, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    theirs, other = world.task(responsible_leader=world.leader), world.task()
    url = reverse("admin:tasks_person_change", args=[world.leader.pk])
    data = admin_form_data(office_client.get(url))
    time_machine.shift(60)

    office_client.post(url, {**data, "position": "县委书记"})

    world.leader.refresh_from_db()
    assert world.leader.position == "县委书记"
    assert Task.objects.get(pk=theirs.pk).updated_at > Task.objects.get(pk=other.pk).updated_at


def test_nothing_can_be_deleted_in_the_admin(office_client, world):
    task = world.task()
    for name, pk in [("task", task.pk), ("unit", world.wanan.pk), ("person", world.wanan_official.pk)]:
        assert office_client.get(reverse(f"admin:tasks_{name}_delete", args=[pk])).status_code == 403
    assert Task.objects.filter(pk=task.pk).exists()


def test_every_admin_page_opens_for_the_office(office_client, world):
    task = world.task()
    services.milestone_add(task=task, by=world.office, title="节点", due_date=days(5))
    services.progress_report(task=task, by=world.wanan_official, percent=30, done="已排查")
    services.extension_request(task=task, by=world.wanan_official, new_deadline=days(30), reason="受限")
    services.instruction_write(task=task, by=world.leader, text="抓紧推进")
    index = office_client.get(reverse("admin:index"))
    assert index.status_code == 200
    for model, model_admin in site._registry.items():
        opts = model._meta
        if opts.app_label not in ("tasks", "supervision"):
            continue  # auth groups stay with superusers
        changelist = office_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert changelist.status_code == 200, opts.label
        if model_admin.has_add_permission(index.wsgi_request):
            add = office_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
            assert add.status_code == 200, opts.label
    assert office_client.get(reverse("admin:tasks_task_change", args=[task.pk])).status_code == 200


def test_unit_officials_cannot_open_the_admin(client, world):
    client.force_login(world.wanan_official)
    assert client.get(reverse("admin:tasks_task_changelist")).status_code == 302


def test_every_model_is_registered():
    from django.apps import apps

    registered = {model._meta.label for model in site._registry}
    for app in ("tasks", "supervision"):
        for model in apps.get_app_config(app).get_models():
            # Cooperations are edited on the task form, snapshot rows shown inside their snapshot, an
            # indicator's targets and a figure's revisions inside theirs.
            if model._meta.label not in (
                "tasks.TaskCooperation",
                "supervision.RankingSnapshotRow",
                "tasks.IndicatorTarget",
                "tasks.IndicatorFigureRevision",
                # Bulletins have their own pages (/supervision/bulletins/) and every step is a service.
                "supervision.Bulletin",
                "supervision.BulletinCounter",
                "supervision.BulletinEvent",
                # Outbound webhooks too (/office/webhooks/, /api/v1/webhooks/): the admin never shows a secret.
                "supervision.WebhookEndpoint",
                "supervision.WebhookEvent",
            ):
                assert model._meta.label in registered


def test_milestones_cannot_be_added_without_the_task_page(office_client):
    assert not Milestone.objects.exists()
    assert office_client.get(reverse("admin:tasks_milestone_add")).status_code == 403


def test_office_names_the_other_names_a_unit_goes_by_in_imported_lists(office_client, world):
    response = office_client.post(
        reverse("admin:tasks_unit_change", args=[world.yingji.pk]),
        {
            "name": "县应急管理局",
            "full_name": "洪洞县应急管理局",
            "aliases": "应急局\n安监局",
            "sort_order": 0,
        },
    )

    assert response.status_code == 302
    world.yingji.refresh_from_db()
    assert world.yingji.alias_list == ["应急局", "安监局"]


def test_an_indicator_and_a_figure_with_its_history_open_in_the_admin(office_client, world):
    from tasks import indicators

    tongji = services.unit_create(by=None, name="县统计局", kind="department", parent=world.county)
    indicator = indicators.indicator_create(
        campaign=world.campaign,
        name="固定资产投资",
        measure="亿元",
        kind="cumulative",
        responsible_unit=world.yingji,
        source_unit=tongji,
        by=world.office,
    )
    indicators.indicator_target_set(indicator=indicator, month=days(-40), target=100, by=world.office)
    figure = indicators.indicator_figure_report(
        indicator=indicator, month=days(-40), kind="actual", value=90, by=world.office
    )
    indicators.indicator_figure_confirm(figure=figure, by=world.office)
    indicators.indicator_figure_correct(figure=figure, value=91, reason="口径调整", by=world.office)

    page = office_client.get(reverse("admin:tasks_indicator_change", args=[indicator.pk]))
    assert page.status_code == 200
    page = office_client.get(reverse("admin:tasks_indicatorfigure_change", args=[figure.pk]))
    assert page.status_code == 200
    assert "口径调整" in page.content.decode()
