"""The task list: scoped filters in the URL, sorting, pages that keep the filters, the Excel link, htmx."""

import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.urls import reverse

from tasks import services
from tests.factories import days


def html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def codes(response) -> list[str]:
    """Task codes in the order the list shows them."""
    return re.findall(r'data-task="([^"]+)"', html(response))


def excel_url(response) -> str:
    return re.search(r'href="([^"]+)" data-testid="excel"', html(response)).group(1).replace("&amp;", "&")


def options(response, name: str) -> set[str]:
    select = re.search(rf'<select [^>]*name="{name}">(.*?)</select>', html(response), re.S).group(1)
    return {label for value, label in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)<', select) if value}


@pytest.fixture
def listed(world):
    """Four tasks of 洪洞县 with different units, flags, progress and leaders."""
    w = world
    t = {}
    t["late"] = w.task(title="煤矿隐患排查", start_date=days(-20), deadline=days(-2))
    t["soon"] = w.task(title="消防通道清理", lead_unit=w.yingji, start_date=days(0), deadline=days(3))
    t["coop"] = w.task(
        title="散煤三清零",
        lead_unit=w.shanmu,
        cooperating_units=[w.wanan],
        responsible_leader=w.leader,
        start_date=days(-2),
        deadline=days(30),
    )
    services.progress_report(task=t["coop"], by=w.shanmu_official, percent=80, done="完成摸底")
    t["far"] = w.task(title="地质灾害巡查", lead_unit=w.yingji, start_date=days(0), deadline=days(40))
    services.progress_report(task=t["far"], by=w.yingji_official, percent=30, done="完成巡查")
    return {key: task.code for key, task in t.items()}


# ---- Access ---------------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_the_login_page(client, db):
    response = client.get(reverse("task-list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("username", ["wanan_official", "office", "leader", "inspector"])
def test_everyone_in_the_county_or_its_group_sees_the_campaigns_tasks(client, world, listed, username):
    client.force_login(getattr(world, username))
    assert sorted(codes(client.get("/tasks/"))) == sorted(listed.values())


def test_another_countys_official_sees_none_of_the_countys_tasks(client, world, listed):
    client.force_login(world.other_official)
    response = client.get("/tasks/")
    assert codes(response) == []
    assert 'data-testid="no-campaign"' in html(response)
    assert "洪洞县" not in html(response)


def test_a_campaign_named_in_the_url_that_i_cannot_see_is_ignored(client, world, listed):
    client.force_login(world.other_official)
    assert codes(client.get(f"/tasks/?campaign={world.campaign.pk}")) == []


def test_task_list_is_the_active_section_of_the_navigation(client, world):
    client.force_login(world.wanan_official)
    assert 'nav-link active" href="/tasks/"' in html(client.get("/tasks/"))


# ---- Filters -----------------------------------------------------------------------------------------


def test_overdue_filter(client, world, listed):
    client.force_login(world.wanan_official)
    assert codes(client.get("/tasks/?overdue=true")) == [listed["late"]]


def test_due_soon_filter(client, world, listed):
    client.force_login(world.wanan_official)
    assert codes(client.get("/tasks/?due_soon=true")) == [listed["soon"]]


def test_behind_filter(client, world, listed):
    client.force_login(world.wanan_official)
    assert codes(client.get("/tasks/?behind=true")) == [listed["late"]]


def test_unit_filter_includes_the_tasks_the_unit_cooperates_on(client, world, listed):
    client.force_login(world.wanan_official)
    assert sorted(codes(client.get(f"/tasks/?unit={world.wanan.pk}"))) == sorted(
        [listed["late"], listed["coop"]]
    )


def test_status_filter(client, world, listed):
    client.force_login(world.wanan_official)
    assert sorted(codes(client.get("/tasks/?status=in_progress"))) == sorted([listed["coop"], listed["far"]])


def test_leader_filter(client, world, listed):
    client.force_login(world.wanan_official)
    assert codes(client.get(f"/tasks/?leader={world.leader.pk}")) == [listed["coop"]]


def test_special_action_filter(client, world, listed):
    ecology = services.special_action_create(
        campaign=world.campaign, name="生态环保专项行动", code="ST", by=world.office
    )
    other = world.task(special_action=ecology, title="露天禁烧")
    client.force_login(world.wanan_official)
    assert codes(client.get(f"/tasks/?special_action={ecology.pk}")) == [other.code]


def test_text_search(client, world, listed):
    client.force_login(world.wanan_official)
    assert codes(client.get("/tasks/?search=消防")) == [listed["soon"]]


def test_filters_combine(client, world, listed):
    client.force_login(world.wanan_official)
    assert codes(client.get(f"/tasks/?unit={world.yingji.pk}&status=in_progress")) == [listed["far"]]


def test_an_empty_form_submission_means_no_filter(client, world, listed):
    client.force_login(world.wanan_official)
    response = client.get(
        "/tasks/?search=&special_action=&unit=&status=&leader=&ordering=&overdue=&due_soon=&behind="
    )
    assert sorted(codes(response)) == sorted(listed.values())
    assert 'data-testid="filter-errors"' not in html(response)


def test_the_bar_shows_the_chosen_filters(client, world, listed):
    client.force_login(world.wanan_official)
    page = html(client.get(f"/tasks/?unit={world.yingji.pk}&overdue=true&search=消防&status=in_progress"))
    assert f'<option value="{world.yingji.pk}" selected>' in page
    assert re.search(r'name="overdue" value="true" checked', page)
    assert 'value="消防"' in page
    assert '<option value="in_progress" selected>' in page


def test_filter_choices_are_scoped_to_what_the_user_can_see(client, world, listed):
    other_campaign = services.campaign_create(
        owner=world.other_county,
        name="尧都区冬季行动",
        code="YD",
        start_date=days(-30),
        end_date=days(60),
        by=world.other_office,
    )
    services.special_action_create(
        campaign=other_campaign, name="尧都区专项行动", code="YA", by=world.other_office
    )
    other_leader = services.person_create(
        by=None, username="yd_leader", unit=world.other_county, role="leader", position="区长"
    )
    assert other_leader
    client.force_login(world.wanan_official)
    response = client.get("/tasks/")
    assert options(response, "special_action") == {"安全生产专项行动"}
    assert {"万安镇", "县应急管理局", "山目乡"} <= options(response, "unit")
    assert "屯里镇" not in options(response, "unit")
    assert "尧都区" not in options(response, "unit")
    assert options(response, "leader") == {str(world.leader)}


def test_workspace_only_filters_are_kept_as_removable_chips(client, world, listed):
    client.force_login(world.office)
    page = html(client.get(f"/tasks/?county={world.county.pk}&status=awaiting_close"))
    assert f'<input type="hidden" name="county" value="{world.county.pk}">' in page
    assert 'data-chip="county"' in page and "洪洞县" in page


# ---- Sorting ---------------------------------------------------------------------------------------------


def test_default_order_is_by_deadline(client, world, listed):
    client.force_login(world.wanan_official)
    assert codes(client.get("/tasks/")) == [listed[k] for k in ("late", "soon", "coop", "far")]


def test_sort_by_progress_descending(client, world, listed):
    client.force_login(world.wanan_official)
    assert codes(client.get("/tasks/?ordering=-progress"))[:2] == [listed["coop"], listed["far"]]


def test_sort_by_deadline_descending(client, world, listed):
    client.force_login(world.wanan_official)
    assert codes(client.get("/tasks/?ordering=-deadline")) == [
        listed[k] for k in ("far", "coop", "soon", "late")
    ]


def test_sort_by_code(client, world, listed):
    client.force_login(world.wanan_official)
    assert codes(client.get("/tasks/?ordering=code")) == sorted(listed.values())
    assert codes(client.get("/tasks/?ordering=-code")) == sorted(listed.values(), reverse=True)


def test_sort_by_last_update(client, world, listed):
    services.progress_report(task=_task(listed["late"]), by=world.wanan_official, percent=5, done="开始")
    client.force_login(world.wanan_official)
    assert codes(client.get("/tasks/?ordering=-updated_at"))[0] == listed["late"]


def _task(code):
    from tasks.models import Task

    return Task.objects.get(code=code)


# ---- Pagination -----------------------------------------------------------------------------------------


def make_tasks(world, n: int) -> None:
    for i in range(n):
        world.task(title=f"任务{i}", start_date=days(-10), deadline=days(i % 15 - 3))


def test_fifty_tasks_a_page_and_the_page_links_keep_the_filters(client, world):
    make_tasks(world, 60)
    client.force_login(world.wanan_official)
    response = client.get(f"/tasks/?unit={world.wanan.pk}&ordering=code&search=任务")
    assert len(codes(response)) == 50
    link = re.search(r'href="(\?[^"]*page=2)"', html(response)).group(1).replace("&amp;", "&")
    assert parse_qs(link[1:]) == {
        "unit": [str(world.wanan.pk)],
        "ordering": ["code"],
        "search": ["任务"],
        "page": ["2"],
    }
    second = client.get("/tasks/" + link)
    assert len(codes(second)) == 10
    assert set(codes(response)).isdisjoint(codes(second))


def test_a_page_past_the_end_shows_the_last_page(client, world):
    make_tasks(world, 60)
    client.force_login(world.wanan_official)
    assert len(codes(client.get("/tasks/?page=99"))) == 10


# ---- Excel ---------------------------------------------------------------------------------------------


def test_excel_link_carries_the_filters_to_the_api_export(client, world, listed):
    client.force_login(world.wanan_official)
    response = client.get(f"/tasks/?unit={world.wanan.pk}&status=&overdue=true&ordering=-progress&page=1")
    url = urlsplit(excel_url(response))
    assert url.path == "/api/v1/tasks/"
    assert parse_qs(url.query) == {
        "unit": [str(world.wanan.pk)],
        "overdue": ["true"],
        "ordering": ["-progress"],
        "campaign": [str(world.campaign.pk)],
        "format": ["xlsx"],
    }


def test_excel_link_downloads_a_workbook_with_the_session(client, world, listed):
    client.force_login(world.wanan_official)
    export = client.get(excel_url(client.get(f"/tasks/?unit={world.wanan.pk}&search=&overdue=true")))
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_export_button_downloads_the_campaigns_ledger(client, world, listed):
    import io

    import openpyxl

    client.force_login(world.office)
    page = client.get("/tasks/?overdue=true")
    assert re.search(r'data-testid="excel" download>导出台账\(Excel\)</a>', html(page))
    export = client.get(excel_url(page))
    sheet = openpyxl.load_workbook(io.BytesIO(export.content))["台账"]
    assert sheet["A1"].value.startswith("洪洞县冬季行动推进台账(截至 ")
    assert sheet["A2"].value == "筛选:逾期=是"
    assert [row[3] for row in sheet.iter_rows(min_row=4, values_only=True)] == ["煤矿隐患排查"]
    assert "洪洞县冬季行动推进台账_" in unquote(export["Content-Disposition"])


def test_excel_link_carries_the_workspace_filters_too(client, world, listed):
    client.force_login(world.wanan_official)
    response = client.get(f"/tasks/?unit={world.wanan.pk}&returned=true")
    assert "returned=true" in excel_url(response)


# ---- htmx -----------------------------------------------------------------------------------------------


def test_htmx_request_gets_only_the_results(client, world, listed):
    client.force_login(world.wanan_official)
    response = client.get("/tasks/?overdue=true", headers={"HX-Request": "true"})
    page = html(response)
    assert "<html" not in page
    assert 'id="task-results"' in page
    assert codes(response) == [listed["late"]]
    assert "HX-Request" in response["Vary"]


def test_normal_request_gets_the_whole_page_with_the_htmx_filter_form(client, world, listed):
    client.force_login(world.wanan_official)
    page = html(client.get("/tasks/?overdue=true"))
    assert "<html" in page
    assert 'method="get"' in page and 'hx-get="/tasks/"' in page and 'hx-push-url="true"' in page


# ---- Fixed cost -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["", "?overdue=true&ordering=-progress", "?unit={unit}&status=in_progress&search=任务&page=2"]
)
@pytest.mark.parametrize("username", ["wanan_official", "inspector"])
def test_task_list_runs_a_fixed_number_of_queries(
    client, world, username, query, django_assert_num_queries, django_assert_max_num_queries
):
    url = "/tasks/" + query.format(unit=world.wanan.pk)
    client.force_login(getattr(world, username))
    make_tasks(world, 5)
    client.get(url)  # warm the session
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    make_tasks(world, 55)
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


# ---- charged_by (分管/包联) ---------------------------------------------------------------------------------


def test_the_list_keeps_the_tasks_of_the_units_a_leader_answers_for(client, world):
    from tasks import services as task_services

    task_services.leader_charge_add(by=world.office, leader=world.leader, unit=world.shanmu, kind="liaison")
    theirs = world.task(title="山目乡燃气排查", lead_unit=world.shanmu)
    helped = world.task(title="万安镇排查", cooperating_units=[world.shanmu])
    client.force_login(world.office)
    page = client.get(reverse("task-list"), {"charged_by": world.leader.pk}).content.decode()
    assert f'data-task="{theirs.code}"' in page
    assert f'data-task="{helped.code}"' not in page
    assert "分管/包联领导" in page  # shown as a removable chip


def test_the_charged_by_filter_shows_nothing_outside_my_county(client, world):
    from tasks import services as task_services

    task_services.leader_charge_add(by=world.office, leader=world.leader, unit=world.shanmu, kind="liaison")
    theirs = world.task(title="山目乡燃气排查", lead_unit=world.shanmu)
    client.force_login(world.other_official)
    page = client.get(reverse("task-list"), {"charged_by": world.leader.pk}).content.decode()
    assert f'data-task="{theirs.code}"' not in page
