"""工作台: each list holds exactly the unit's tasks that need it; the office's queues; leaders' numbers."""

import datetime
import re
import zoneinfo

import pytest
from django.urls import reverse

from tasks import services
from tests.factories import days

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def section_codes(response, key: str) -> set[str]:
    """Task codes in one list of the workspace (an empty list is not rendered)."""
    match = re.search(rf'data-section="{key}">(.*?)</section>', html(response), re.S)
    return set(re.findall(r'data-task="([^"]+)"', match.group(1))) if match else set()


def tile(response, key: str) -> tuple[int, str]:
    """A count tile: its number and the list it links to."""
    match = re.search(rf'<a [^>]*href="([^"]+)" data-tile="{key}">.*?wa-figure">(\d+)<', html(response), re.S)
    return int(match.group(2)), match.group(1).replace("&amp;", "&")


def figure(response, key: str) -> int:
    return int(re.search(rf'data-figure="{key}">(\d+)<', html(response)).group(1))


def list_codes(client, url: str) -> set[str]:
    return set(re.findall(r'data-task="([^"]+)"', html(client.get(url))))


def report(task, by, percent=10):
    return services.progress_report(task=task, by=by, percent=percent, done="开展排查")


@pytest.fixture
def wanan_tasks(world):
    """万安镇's tasks, one for each list, and some that belong in none."""
    w = world
    t = {}
    t["overdue"] = w.task(title="逾期任务", start_date=days(-20), deadline=days(-1))  # also behind
    t["due_soon"] = w.task(title="临期任务", start_date=days(0), deadline=days(3))
    t["behind"] = w.task(title="滞后任务", start_date=days(-10), deadline=days(10))
    t["fine"] = w.task(title="正常任务", start_date=days(0), deadline=days(30))
    # Led by 县应急管理局, 万安镇 cooperates and has never reported since the start 10 days ago.
    t["awaiting"] = w.task(
        title="待填报任务",
        lead_unit=w.yingji,
        cooperating_units=[w.wanan],
        start_date=days(-10),
        deadline=days(20),
    )
    report(t["awaiting"], w.yingji_official, percent=60)
    t["returned"] = w.task(title="退回任务", start_date=days(0), deadline=days(30))
    report(t["returned"], w.wanan_official, percent=90)
    services.task_request_close(task=t["returned"], by=w.wanan_official)
    services.task_return(task=t["returned"], by=w.office, reason="佐证材料不全")
    t["awaiting_close"] = w.task(title="待销号任务", start_date=days(0), deadline=days(30))
    report(t["awaiting_close"], w.wanan_official, percent=90)
    services.task_request_close(task=t["awaiting_close"], by=w.wanan_official)
    t["closed"] = w.task(title="已销号任务", start_date=days(-20), deadline=days(-1))
    report(t["closed"], w.wanan_official, percent=90)
    services.task_request_close(task=t["closed"], by=w.wanan_official)
    services.task_close(task=t["closed"], by=w.office)
    t["other_unit"] = w.task(title="别人的任务", lead_unit=w.shanmu, start_date=days(-20), deadline=days(-1))
    return {key: task.code for key, task in t.items()}


# ---- Access --------------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_the_login_page(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_workspace_is_the_active_section_of_the_navigation(client, world):
    client.force_login(world.wanan_official)
    assert re.search(r'nav-link active" href="/"', html(client.get(reverse("home"))))


# ---- A unit's lists ------------------------------------------------------------------------------


def test_official_sees_exactly_the_overdue_tasks_of_the_unit(client, world, wanan_tasks):
    client.force_login(world.wanan_official)
    assert section_codes(client.get("/"), "overdue") == {wanan_tasks["overdue"]}


def test_official_sees_exactly_the_tasks_due_soon(client, world, wanan_tasks):
    client.force_login(world.wanan_official)
    assert section_codes(client.get("/"), "due_soon") == {wanan_tasks["due_soon"]}


def test_official_sees_exactly_the_tasks_behind_schedule(client, world, wanan_tasks):
    client.force_login(world.wanan_official)
    assert section_codes(client.get("/"), "behind") == {wanan_tasks["overdue"], wanan_tasks["behind"]}


def test_official_sees_the_cooperating_task_awaiting_the_units_report(client, world, wanan_tasks):
    client.force_login(world.wanan_official)
    response = client.get("/")
    assert section_codes(response, "awaiting_report") == {wanan_tasks["awaiting"]}
    assert "本单位尚未填报" in html(response)


def test_official_sees_exactly_the_returned_tasks(client, world, wanan_tasks):
    client.force_login(world.wanan_official)
    assert section_codes(client.get("/"), "returned") == {wanan_tasks["returned"]}


def test_official_sees_exactly_the_tasks_awaiting_close_out(client, world, wanan_tasks):
    client.force_login(world.wanan_official)
    assert section_codes(client.get("/"), "awaiting_close") == {wanan_tasks["awaiting_close"]}


def test_a_row_shows_the_deadline_countdown_progress_status_and_flags(client, world, wanan_tasks):
    client.force_login(world.wanan_official)
    page = html(client.get("/"))
    row = re.search(rf'<tr data-task="{wanan_tasks["overdue"]}">(.*?)</tr>', page, re.S).group(1)
    assert days(-1).isoformat() in row
    assert "逾期1天" in row
    assert 'role="progressbar"' in row
    assert 'data-status="not_started"' in row
    assert 'data-flag="overdue"' in row and 'data-flag="behind"' in row
    assert "安全生产专项行动" in row


def test_a_row_links_to_the_task_page(client, world):
    task = world.task(deadline=days(-1), start_date=days(-5))
    client.force_login(world.wanan_official)
    assert f'href="/tasks/{task.pk}/"' in html(client.get("/"))


def test_cooperating_tasks_are_marked(client, world, wanan_tasks):
    client.force_login(world.wanan_official)
    section = re.search(r'data-section="awaiting_report">(.*?)</section>', html(client.get("/")), re.S)
    assert "配合" in section.group(1)


def test_each_count_links_to_the_same_tasks_in_the_task_list(client, world, wanan_tasks):
    client.force_login(world.wanan_official)
    response = client.get("/")
    for key in ("overdue", "due_soon", "behind", "awaiting_report", "returned", "awaiting_close"):
        count, url = tile(response, key)
        assert f"unit={world.wanan.pk}" in url
        assert count == len(section_codes(response, key)), key
        assert list_codes(client, url) == section_codes(response, key), key


def test_overdue_count_links_to_the_filtered_list(client, world, wanan_tasks):
    client.force_login(world.wanan_official)
    assert tile(client.get("/"), "overdue") == (1, f"/tasks/?unit={world.wanan.pk}&overdue=true")


def test_official_without_open_tasks_is_told_so(client, world):
    client.force_login(world.shanmu_official)
    response = client.get("/")
    assert 'data-testid="nothing-to-do"' in html(response)
    assert 'data-testid="headline"' not in html(response)


# ---- Awaiting my report: the 7-day rule --------------------------------------------------------------


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2025, 12, day, hour, minute, tzinfo=SHANGHAI)


def test_task_is_awaiting_report_seven_days_after_the_units_last_report(client, world, time_machine):
    time_machine.move_to(at(1, 10), tick=False)
    task = world.task(start_date=days(-3), deadline=days(40))
    report(task, world.wanan_official)
    client.force_login(world.wanan_official)

    time_machine.move_to(at(7, 23, 59), tick=False)  # six days later, at the end of the day
    assert task.code not in section_codes(client.get("/"), "awaiting_report")

    time_machine.move_to(at(8, 0, 1), tick=False)  # the seventh day has begun
    assert task.code in section_codes(client.get("/"), "awaiting_report")


def test_a_new_report_takes_the_task_off_the_list(client, world, time_machine):
    time_machine.move_to(at(1, 10), tick=False)
    task = world.task(start_date=days(-3), deadline=days(40))
    report(task, world.wanan_official)
    time_machine.move_to(at(9, 10), tick=False)
    client.force_login(world.wanan_official)
    assert task.code in section_codes(client.get("/"), "awaiting_report")
    report(task, world.wanan_official, percent=30)
    assert task.code not in section_codes(client.get("/"), "awaiting_report")


def test_without_a_report_the_days_count_from_the_start_date(client, world, time_machine):
    time_machine.move_to(at(1, 10), tick=False)
    task = world.task(
        lead_unit=world.yingji, cooperating_units=[world.wanan], start_date=days(0), deadline=days(40)
    )
    report(task, world.yingji_official)  # the lead unit reports: in progress
    client.force_login(world.wanan_official)

    time_machine.move_to(at(7, 18), tick=False)
    assert task.code not in section_codes(client.get("/"), "awaiting_report")

    time_machine.move_to(at(8, 9), tick=False)
    assert task.code in section_codes(client.get("/"), "awaiting_report")


def test_another_units_report_does_not_count_as_mine(client, world, time_machine):
    time_machine.move_to(at(1, 10), tick=False)
    task = world.task(cooperating_units=[world.shanmu], start_date=days(-3), deadline=days(40))
    report(task, world.wanan_official)
    time_machine.move_to(at(8, 10), tick=False)
    report(task, world.shanmu_official)  # the cooperating unit reports, 万安镇 does not
    client.force_login(world.wanan_official)
    assert task.code in section_codes(client.get("/"), "awaiting_report")
    client.force_login(world.shanmu_official)
    assert task.code not in section_codes(client.get("/"), "awaiting_report")


def test_a_task_not_started_is_not_awaiting_a_report(client, world):
    task = world.task(start_date=days(-10), deadline=days(40))
    client.force_login(world.wanan_official)
    assert task.code not in section_codes(client.get("/"), "awaiting_report")


# ---- The supervision office ---------------------------------------------------------------------------


def test_office_sees_extension_requests_awaiting_a_decision_in_its_region(client, world):
    task = world.task(start_date=days(-5), deadline=days(5))
    services.extension_request(task=task, by=world.wanan_official, new_deadline=days(20), reason="雨雪天气")
    decided = world.task(title="已审批", start_date=days(-5), deadline=days(5))
    extension = services.extension_request(
        task=decided, by=world.wanan_official, new_deadline=days(20), reason="雨雪天气"
    )
    services.extension_decide(extension=extension, by=world.office, approve=True)
    client.force_login(world.office)
    response = client.get("/")
    assert section_codes(response, "office_extensions") == {task.code}
    assert f"申请延至 {days(20).isoformat()}" in html(response)
    count, url = tile(response, "office_extensions")
    assert count == 1
    assert list_codes(client, url) == {task.code}


def test_office_sees_close_out_requests_in_its_region(client, world, wanan_tasks):
    client.force_login(world.office)
    response = client.get("/")
    assert section_codes(response, "office_awaiting_close") == {wanan_tasks["awaiting_close"]}
    count, url = tile(response, "office_awaiting_close")
    assert (count, url) == (1, f"/tasks/?county={world.county.pk}&status=awaiting_close")
    assert list_codes(client, url) == {wanan_tasks["awaiting_close"]}


def test_another_countys_office_has_nothing_to_decide_here(client, world, wanan_tasks):
    client.force_login(world.other_office)
    page = html(client.get("/"))
    assert 'data-section="office_awaiting_close"' not in page
    assert wanan_tasks["awaiting_close"] not in page


def test_office_sees_the_headline_numbers(client, world, wanan_tasks):
    client.force_login(world.office)
    response = client.get("/")
    assert figure(response, "total") == 9


# ---- Leaders and inspectors ------------------------------------------------------------------------------


def test_leader_without_tasks_sees_the_campaigns_headline_numbers(client, world, wanan_tasks):
    client.force_login(world.leader)
    response = client.get("/")
    assert figure(response, "total") == 9
    assert figure(response, "closed") == 1
    assert figure(response, "overdue") == 2
    assert figure(response, "due_soon") == 1
    assert figure(response, "behind") == 3
    assert 'data-testid="my-counts"' not in html(response)


def test_headline_numbers_link_to_the_filtered_list(client, world, wanan_tasks):
    client.force_login(world.leader)
    page = html(client.get("/"))
    overdue = re.search(r'href="([^"]+)" data-headline="overdue"', page).group(1)
    assert overdue == "/tasks/?overdue=true"
    assert list_codes(client, overdue) == {wanan_tasks["overdue"], wanan_tasks["other_unit"]}


def test_inspector_sees_the_numbers_of_the_county_in_the_groups_scope(client, world, wanan_tasks):
    client.force_login(world.inspector)
    response = client.get("/")
    assert figure(response, "total") == 9
    assert figure(response, "overdue") == 2


def test_another_countys_official_sees_none_of_the_countys_tasks(client, world, wanan_tasks):
    client.force_login(world.other_official)
    page = html(client.get("/"))
    assert "洪洞县冬季行动" not in page
    assert 'data-testid="no-campaign"' in page
    assert not any(code in page for code in wanan_tasks.values())


# ---- Fixed cost ---------------------------------------------------------------------------------------------


def make_tasks(world, n: int) -> None:
    for i in range(n):
        task = world.task(title=f"任务{i}", start_date=days(-10), deadline=days(i % 12 - 3))
        if i % 3 == 0:
            report(task, world.wanan_official, percent=40)


@pytest.mark.parametrize("username", ["wanan_official", "office", "leader", "inspector"])
def test_workspace_runs_a_fixed_number_of_queries(
    client, world, username, django_assert_num_queries, django_assert_max_num_queries
):
    client.force_login(getattr(world, username))
    make_tasks(world, 3)
    client.get("/")  # warm the session
    with django_assert_max_num_queries(20) as few:
        client.get("/")
    make_tasks(world, 27)
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get("/").status_code == 200


# ---- What a row says: the lead unit's 存在问题 / 下步计划, and why a close-out came back ---------------------


def section_html(response, key: str) -> str:
    match = re.search(rf'data-section="{key}">(.*?)</section>', html(response), re.S)
    assert match, f"no section {key}"
    return match.group(1)


def test_a_workspace_row_shows_the_lead_units_latest_problems_and_next_steps(client, world):
    task = world.task(title="宿舍消防排查", start_date=days(-20), deadline=days(-1))
    services.progress_report(
        task=task,
        by=world.wanan_official,
        percent=30,
        done="排查宿舍 12 间",
        problems="消防通道堵塞",
        next_steps="周五前清理",
    )
    client.force_login(world.wanan_official)
    row = section_html(client.get("/"), "overdue")
    assert task.code in row
    assert "存在问题" in row and "消防通道堵塞" in row
    assert "下步计划" in row and "周五前清理" in row


def test_a_cooperating_unit_sees_the_lead_units_problems_in_its_row(client, world):
    task = world.task(
        title="燃气排查", cooperating_units=[world.shanmu], start_date=days(-20), deadline=days(-1)
    )
    services.progress_report(task=task, by=world.wanan_official, percent=30, done="排查", problems="管道老化")
    client.force_login(world.shanmu_official)
    row = section_html(client.get("/"), "overdue")
    assert task.code in row and "管道老化" in row


def test_a_returned_task_shows_the_return_reason_in_its_row(client, world, wanan_tasks):
    client.force_login(world.wanan_official)
    row = section_html(client.get("/"), "returned")
    assert wanan_tasks["returned"] in row
    assert 'data-row="return-reason"' in row and "佐证材料不全" in row


def test_the_latest_return_reason_is_the_one_shown(client, world):
    task = world.task(title="退回两次", start_date=days(0), deadline=days(30))
    services.progress_report(task=task, by=world.wanan_official, percent=90, done="完成")
    services.task_request_close(task=task, by=world.wanan_official)
    services.task_return(task=task, by=world.office, reason="第一次理由")
    services.task_request_close(task=task, by=world.wanan_official)
    services.task_return(task=task, by=world.office, reason="照片看不清")
    client.force_login(world.wanan_official)
    row = section_html(client.get("/"), "returned")
    assert "照片看不清" in row and "第一次理由" not in row


def test_the_due_soon_list_is_called_due_soon(client, world, wanan_tasks):
    client.force_login(world.wanan_official)
    head = html(client.get("/"))
    assert re.search(r'data-tile="due_soon">.*?临期', head, re.S)
    assert "7日内到期" not in head


# ---- A leader's workspace: the units I answer for (分管/包联), their late work and problems, my 批示 ----------


@pytest.fixture
def charged(world):
    """县长 包联 万安镇; 山目乡 is nobody's. 万安镇 has an overdue task with a problem reported."""
    services.leader_charge_add(by=world.office, leader=world.leader, unit=world.wanan, kind="liaison")
    late = world.task(title="宿舍消防排查", start_date=days(-20), deadline=days(-1))
    services.progress_report(
        task=late,
        by=world.wanan_official,
        percent=30,
        done="排查 6 家",
        problems="检测仪器不足",
        next_steps="借用",
    )
    fine = world.task(title="正常推进", start_date=days(0), deadline=days(30))
    other = world.task(title="山目乡逾期", lead_unit=world.shanmu, start_date=days(-20), deadline=days(-1))
    services.progress_report(
        task=other, by=world.shanmu_official, percent=10, done="起步", problems="山目乡的问题"
    )
    return {"late": late, "fine": fine, "other": other}


def test_a_leader_sees_the_units_they_answer_for_with_their_late_work(client, world, charged):
    client.force_login(world.leader)
    page = html(client.get("/"))
    units = re.search(r'data-section="charged_units">(.*?)</section>', page, re.S).group(1)
    row = re.search(r'data-charged-unit="万安镇">(.*?)</tr>', units, re.S).group(1)
    assert "包联" in row
    assert re.search(r'data-figure="open">2<', row) and re.search(r'data-figure="overdue">1<', row)
    assert "山目乡" not in units
    assert section_codes(client.get("/"), "charged_late") == {charged["late"].code}
    late = section_html(client.get("/"), "charged_late")
    assert "检测仪器不足" in late


def test_a_leader_sees_the_latest_problems_of_their_units_only(client, world, charged):
    client.force_login(world.leader)
    problems = section_html(client.get("/"), "charged_problems")
    assert "检测仪器不足" in problems and "山目乡的问题" not in problems


def test_the_charged_list_links_to_the_task_list_filtered_by_the_leader(client, world, charged):
    client.force_login(world.leader)
    page = html(client.get("/"))
    assert f"charged_by={world.leader.pk}" in page
    assert list_codes(client, f"/tasks/?charged_by={world.leader.pk}") == {
        charged["late"].code,
        charged["fine"].code,
    }


def test_a_leader_sees_their_instructions_and_the_answers(client, world, charged):
    task = charged["late"]
    services.instruction_write(task=task, by=world.leader, text="本周内必须解决仪器问题")
    answered_at = days(0)
    services.progress_report(
        task=task, by=world.wanan_official, percent=50, done="已向县应急局借到仪器", problems="仍缺人手"
    )
    other = charged["other"]
    services.instruction_write(task=other, by=world.leader, text="山目乡抓紧推进")
    client.force_login(world.leader)
    mine = section_html(client.get("/"), "my_instructions")
    answered = re.search(
        r'data-instruction="\d+">((?:(?!</li>).)*本周内必须解决仪器问题.*?)</li>', mine, re.S
    ).group(1)
    assert "data-answer" in answered and "已向县应急局借到仪器" in answered and "万安镇" in answered
    assert answered_at.strftime("%Y-%m-%d") in answered
    waiting = re.search(r'data-instruction="\d+">((?:(?!</li>).)*山目乡抓紧推进.*?)</li>', mine, re.S).group(
        1
    )
    assert "data-unanswered" in waiting


def test_another_leaders_instructions_and_charges_are_not_mine(client, world, charged):
    from tasks import services as task_services

    deputy = task_services.person_create(
        by=None,
        username="deputy",
        unit=world.county,
        role="leader",
        position="副县长",
        password="winteraction",
    )
    services.instruction_write(task=charged["late"], by=world.leader, text="县长的批示")
    client.force_login(deputy)
    page = html(client.get("/"))
    assert "县长的批示" not in page
    assert 'data-section="charged_units"' not in page


def test_a_unit_official_gets_no_leader_panel(client, world, charged):
    client.force_login(world.wanan_official)
    assert 'data-testid="leader-panel"' not in html(client.get("/"))


def test_the_leader_panel_takes_a_fixed_number_of_queries(
    client, world, charged, django_assert_num_queries, django_assert_max_num_queries
):
    client.force_login(world.leader)
    client.get("/")
    with django_assert_max_num_queries(25) as few:
        client.get("/")
    for i in range(8):
        task = world.task(title=f"任务{i}", start_date=days(-20), deadline=days(i - 4))
        services.progress_report(
            task=task, by=world.wanan_official, percent=10, done="进展", problems=f"问题{i}"
        )
        services.instruction_write(task=task, by=world.leader, text=f"批示{i}")
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get("/").status_code == 200
