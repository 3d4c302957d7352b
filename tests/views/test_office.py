"""The supervision office's back office inside the app: special actions, tasks, milestones."""

import pytest
from django.urls import reverse

from tasks import selectors, services
from tasks.models import EventKind, Milestone, SpecialAction, Task, TaskEvent
from tests.factories import days


def task_form(world, **overrides):
    data = {
        "special_action": world.safety.pk,
        "title": "万安镇燃气管道隐患排查",
        "description": "全镇燃气管道逐户排查。",
        "target": "12月20日前隐患清零",
        "lead_unit": world.wanan.pk,
        "cooperating_units": [world.yingji.pk],
        "responsible_leader": world.leader.pk,
        "start_date": days(0).isoformat(),
        "deadline": days(20).isoformat(),
        "priority": 1,
        "parent": "",
    }
    data.update(overrides)
    return data


# ---- Who may use it -------------------------------------------------------------------------------


def office_pages(world, task):
    return [
        reverse("office"),
        reverse("office-special-action-create"),
        reverse("office-special-action-edit", args=[world.safety.pk]),
        reverse("office-task-create"),
        reverse("office-task-edit", args=[task.pk]),
    ]


def test_a_township_official_gets_403_on_every_office_page_and_post(client, world):
    task = world.task()
    client.force_login(world.wanan_official)
    for url in office_pages(world, task):
        assert client.get(url).status_code == 403, url
        assert client.post(url, task_form(world)).status_code == 403, url
    milestone = reverse("office-milestone-add", args=[task.pk])
    assert client.post(milestone, {"title": "入户排查", "due_date": days(5).isoformat()}).status_code == 403
    assert Task.objects.count() == 1
    assert not Milestone.objects.exists()


def test_a_leader_gets_403_too(client, world):
    client.force_login(world.leader)
    assert client.get(reverse("office")).status_code == 403


def test_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get(reverse("office-task-create"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_office_home_lists_special_actions_with_task_counts(client, world):
    world.task()
    world.task(title="非煤矿山安全检查")
    services.special_action_create(
        campaign=world.campaign, name="生态环保专项行动", code="HB", by=world.office
    )
    client.force_login(world.office)
    response = client.get(reverse("office"))
    assert response.status_code == 200
    counts = {sa.name: sa.task_count for sa in response.context["special_actions"]}
    assert counts == {"安全生产专项行动": 2, "生态环保专项行动": 0}
    page = response.content.decode()
    assert reverse("office-special-action-edit", args=[world.safety.pk]) in page
    assert reverse("office-task-create") in page


def test_the_office_home_runs_a_fixed_number_of_queries(client, world, django_assert_num_queries):
    client.force_login(world.office)
    world.task()
    client.get(reverse("office"))
    with django_assert_num_queries(8) as few:  # session, user, access, nav ×2, bell, special actions, tasks
        client.get(reverse("office"))
    for n in range(5):
        world.task(title=f"任务{n}")
    services.special_action_create(
        campaign=world.campaign, name="生态环保专项行动", code="HB", by=world.office
    )
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(reverse("office"))


# ---- Creating tasks -------------------------------------------------------------------------------


def test_the_office_creates_a_task_for_wanan(client, world):
    client.force_login(world.office)
    response = client.post(reverse("office-task-create"), task_form(world))
    task = Task.objects.get(title="万安镇燃气管道隐患排查")
    assert response.status_code == 302
    assert response.url == f"/tasks/{task.pk}/"
    assert task.lead_unit == world.wanan
    assert task.campaign == world.campaign
    assert task.code == "HD-AQ-001"
    assert list(task.cooperating_units.all()) == [world.yingji]
    assert task.responsible_leader == world.leader
    assert task.priority == 1
    assert TaskEvent.objects.filter(task=task, kind=EventKind.CREATED, actor=world.office).count() == 1
    assert task in selectors.tasks_for_my_unit(world.wanan_official)


def test_the_task_form_offers_the_regions_units_leaders_and_special_actions(client, world):
    client.force_login(world.office)
    form = client.get(reverse("office-task-create")).context["form"]
    units = set(form.fields["lead_unit"].queryset)
    assert {world.wanan, world.shanmu, world.yingji, world.mine} <= units
    assert world.other_town not in units and world.city not in units
    assert list(form.fields["responsible_leader"].queryset) == [world.leader]
    assert list(form.fields["special_action"].queryset) == [world.safety]


def test_a_deadline_before_the_start_is_refused_in_chinese_and_creates_nothing(client, world):
    client.force_login(world.office)
    response = client.post(
        reverse("office-task-create"),
        task_form(world, start_date=days(5).isoformat(), deadline=days(1).isoformat()),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "完成时限不能早于开始日期" in page
    assert 'value="万安镇燃气管道隐患排查"' in page  # what was typed stays
    assert "全镇燃气管道逐户排查。" in page
    assert not Task.objects.exists()
    assert not TaskEvent.objects.exists()


def test_a_unit_both_lead_and_cooperating_is_refused(client, world):
    client.force_login(world.office)
    response = client.post(
        reverse("office-task-create"), task_form(world, cooperating_units=[world.wanan.pk])
    )
    assert response.status_code == 400
    assert "牵头单位不能同时是配合单位" in response.content.decode()
    assert not Task.objects.exists()


def test_service_errors_show_in_english_for_an_english_browser(client, world):
    client.force_login(world.office)
    response = client.post(
        reverse("office-task-create"),
        task_form(world, start_date=days(5).isoformat(), deadline=days(1).isoformat()),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "完成时限不能早于开始日期" not in response.content.decode()


def test_a_subtask_under_a_parent(client, world):
    parent = world.task(title="安全生产大排查")
    client.force_login(world.office)
    client.post(reverse("office-task-create"), task_form(world, parent=parent.pk))
    assert Task.objects.get(title="万安镇燃气管道隐患排查").parent == parent


@pytest.fixture
def other_office(client, world):
    client.force_login(world.other_office)
    return world.other_office


def test_another_countys_office_is_not_offered_hongdong(client, world, other_office):
    form = client.get(reverse("office-task-create")).context["form"]
    assert world.wanan not in form.fields["lead_unit"].queryset
    assert world.safety not in form.fields["special_action"].queryset
    assert world.other_town in form.fields["lead_unit"].queryset


def test_another_countys_office_cannot_forge_a_task_into_hongdong(client, world, other_office):
    response = client.post(reverse("office-task-create"), task_form(world))
    assert response.status_code == 400
    assert not Task.objects.exists()


def test_another_countys_office_with_the_campaign_chosen_is_still_refused(client, world, other_office):
    # Even if the session names 洪洞县's campaign, the switcher only keeps what the user can see.
    session = client.session
    session["campaign_id"] = world.campaign.pk
    session.save()
    response = client.post(reverse("office-task-create"), task_form(world, cooperating_units=[]))
    assert response.status_code == 400
    assert not Task.objects.exists()


def test_another_countys_office_cannot_edit_hongdong_tasks_or_special_actions(client, world, other_office):
    task = world.task()
    assert client.get(reverse("office-task-edit", args=[task.pk])).status_code == 404
    assert client.post(reverse("office-task-edit", args=[task.pk]), {"title": "改"}).status_code == 404
    assert client.get(reverse("office-special-action-edit", args=[world.safety.pk])).status_code == 404
    milestone = reverse("office-milestone-add", args=[task.pk])
    assert client.post(milestone, {"title": "入户", "due_date": days(1).isoformat()}).status_code == 404


# ---- Editing tasks and adding milestones ---------------------------------------------------------


def edit_form(task, **overrides):
    data = {
        "title": task.title,
        "description": task.description,
        "target": task.target,
        "priority": task.priority,
        "lead_unit": task.lead_unit_id,
        "cooperating_units": [c.unit_id for c in task.cooperations.all()],
        "responsible_leader": task.responsible_leader_id or "",
        "note": "",
    }
    data.update(overrides)
    return data


def test_editing_the_text_writes_an_updated_event(client, world):
    task = world.task()
    client.force_login(world.office)
    form = client.get(reverse("office-task-edit", args=[task.pk])).context["form"]
    assert form.initial["title"] == task.title
    response = client.post(
        reverse("office-task-edit", args=[task.pk]),
        edit_form(task, title="煤矿“三堂一舍”隐患整治", priority=0),
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.title == "煤矿“三堂一舍”隐患整治"
    assert task.priority == 0
    event = TaskEvent.objects.get(task=task, kind=EventKind.UPDATED)
    assert event.after == {"title": "煤矿“三堂一舍”隐患整治", "priority": 0}
    assert not TaskEvent.objects.filter(task=task, kind=EventKind.ASSIGNED).exists()


def test_reassigning_writes_an_assigned_event(client, world):
    task = world.task()
    client.force_login(world.office)
    response = client.post(
        reverse("office-task-edit", args=[task.pk]),
        edit_form(
            task,
            lead_unit=world.shanmu.pk,
            cooperating_units=[world.wanan.pk],
            responsible_leader=world.leader.pk,
            note="山目乡牵头",
        ),
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.lead_unit == world.shanmu
    assert list(task.cooperating_units.all()) == [world.wanan]
    event = TaskEvent.objects.get(task=task, kind=EventKind.ASSIGNED)
    assert event.note == "山目乡牵头"
    assert event.after["lead_unit_id"] == world.shanmu.pk
    assert not TaskEvent.objects.filter(task=task, kind=EventKind.UPDATED).exists()


def test_a_refused_reassignment_undoes_the_text_edit_too(client, world):
    task = world.task()
    services.task_cancel(task=task, by=world.office, reason="重复下达")
    client.force_login(world.office)
    response = client.post(reverse("office-task-edit", args=[task.pk]), edit_form(task, title="新标题"))
    assert response.status_code == 400
    assert "不能修改" in response.content.decode()
    task.refresh_from_db()
    assert task.title == "煤矿“三堂一舍”隐患排查"
    assert not TaskEvent.objects.filter(task=task, kind__in=[EventKind.UPDATED, EventKind.ASSIGNED]).exists()


def test_a_milestone_is_added(client, world):
    task = world.task()
    client.force_login(world.office)
    response = client.post(
        reverse("office-milestone-add", args=[task.pk]),
        {"title": "完成入户排查", "due_date": days(5).isoformat()},
    )
    assert response.status_code == 302
    milestone = Milestone.objects.get(task=task)
    assert milestone.title == "完成入户排查"
    assert TaskEvent.objects.filter(task=task, kind=EventKind.MILESTONE_ADDED).count() == 1
    assert "完成入户排查" in client.get(reverse("office-task-edit", args=[task.pk])).content.decode()


def test_a_milestone_after_the_deadline_is_refused_in_chinese(client, world):
    task = world.task()  # deadline in 10 days
    client.force_login(world.office)
    response = client.post(
        reverse("office-milestone-add", args=[task.pk]),
        {"title": "完成入户排查", "due_date": days(30).isoformat()},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "节点时限不能晚于任务完成时限" in page
    assert 'value="完成入户排查"' in page
    assert not Milestone.objects.exists()


# ---- Special actions ----------------------------------------------------------------------------------


def test_the_office_sets_up_a_special_action(client, world):
    client.force_login(world.office)
    response = client.post(
        reverse("office-special-action-create"),
        {
            "name": "生态环保专项行动",
            "code": "hb",
            "lead_unit": world.yingji.pk,
            "lead_leader": world.leader.pk,
            "task_force": [world.yingji_official.pk, world.office.pk],
            "sort_order": 2,
        },
    )
    assert response.status_code == 302
    special_action = SpecialAction.objects.get(name="生态环保专项行动")
    assert special_action.code == "HB"
    assert special_action.campaign == world.campaign
    assert special_action.lead_unit == world.yingji
    assert special_action.lead_leader == world.leader
    assert set(special_action.task_force.all()) == {world.yingji_official, world.office}


def test_a_duplicate_special_action_code_is_refused_in_chinese(client, world):
    client.force_login(world.office)
    response = client.post(reverse("office-special-action-create"), {"name": "安全生产二期", "code": "AQ"})
    assert response.status_code == 400
    assert "已有相同编号的专项行动" in response.content.decode()
    assert SpecialAction.objects.count() == 1


def test_the_office_edits_a_special_action(client, world):
    client.force_login(world.office)
    response = client.post(
        reverse("office-special-action-edit", args=[world.safety.pk]),
        {
            "name": "安全生产专项整治行动",
            "code": "AQ",
            "task_force": [world.yingji_official.pk],
            "sort_order": 1,
        },
    )
    assert response.status_code == 302
    world.safety.refresh_from_db()
    assert world.safety.name == "安全生产专项整治行动"
    assert world.safety.sort_order == 1
    assert list(world.safety.task_force.all()) == [world.yingji_official]


def test_the_special_action_form_offers_only_the_regions_people(client, world):
    client.force_login(world.office)
    form = client.get(reverse("office-special-action-create")).context["form"]
    people = set(form.fields["task_force"].queryset)
    assert world.wanan_official in people
    assert world.other_official not in people and world.city_office not in people
