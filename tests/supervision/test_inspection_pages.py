"""The inspectors' pages: my groups, the inspection list, recording an inspection (with photos from a
phone), one inspection with its findings turned into 督办单 in one step, and a new 督办单."""

import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from supervision import services
from supervision.models import Finding, Inspection, SupervisionAttachment, SupervisionOrder
from tests.factories import days


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def jpeg(name="现场照片.jpg", size=(64, 48)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 90, 160)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def record(world, findings=1, photos=0, **kwargs):
    values = {
        "group": world.group,
        "by": world.inspector,
        "kind": "on_site",
        "date": days(0),
        "summary": "实地检查万安镇煤矿",
        "units": [world.wanan],
        "findings": [{"unit": world.wanan, "text": f"问题{i}"} for i in range(findings)],
        "photos": [jpeg(f"照片{i}.jpg") for i in range(photos)],
    }
    values.update(kwargs)
    return services.inspection_record(**values)


def inspection_post(world, **overrides) -> dict:
    data = {
        "group": world.group.pk,
        "kind": "on_site",
        "date": days(0).isoformat(),
        "summary": "检查万安煤业井下作业",
        "units": [world.wanan.pk],
        "findings-TOTAL_FORMS": "3",
        "findings-INITIAL_FORMS": "0",
        "findings-MIN_NUM_FORMS": "0",
        "findings-MAX_NUM_FORMS": "50",
        "findings-0-unit": world.wanan.pk,
        "findings-0-text": "井下通风记录缺失",
    }
    data.update(overrides)
    return data


def order_post(finding, **overrides) -> dict:
    prefix = f"finding-{finding.pk}-"
    data = {
        "problem": finding.text,
        "requirement": "三日内补齐通风记录",
        "deadline": days(5).isoformat(),
        "urgency": "yellow",
    }
    data.update(overrides)
    return {prefix + key: value for key, value in data.items()}


# ---- My groups -----------------------------------------------------------------------------------


def test_an_inspector_sees_their_group_with_its_scope_counts_and_links(client, world):
    inspection = record(world, findings=2)
    services.order_issue(
        group=world.group,
        by=world.inspector,
        unit=world.wanan,
        problem="问题",
        requirement="整改",
        deadline=days(3),
        finding=inspection.findings.first(),
    )
    client.force_login(world.inspector)
    page = client.get("/supervision/groups/").content.decode()
    assert world.group.name in page and world.county.full_name in page
    assert 'data-testid="group-inspections">1<' in page
    assert 'data-testid="group-open-orders">1<' in page
    assert f"/supervision/dashboard/?county={world.county.pk}" in page
    assert f"/supervision/inspections/new/?group={world.group.pk}" in page


def test_the_office_sees_the_groups_of_its_region_but_cannot_record(client, world):
    client.force_login(world.office)
    page = client.get("/supervision/groups/").content.decode()
    assert world.group.name in page
    assert "/supervision/inspections/new/" not in page


def test_a_unit_official_belongs_to_no_group(client, world):
    client.force_login(world.other_official)
    page = client.get("/supervision/groups/").content.decode()
    assert world.group.name not in page and "你不在任何督导检查组中" in page


# ---- Inspection list --------------------------------------------------------------------------------


def test_the_inspection_list_shows_what_the_user_may_see(client, world):
    inspection = record(world)
    client.force_login(world.office)
    assert (
        f"/supervision/inspections/{inspection.pk}/"
        in client.get("/supervision/inspections/").content.decode()
    )
    client.force_login(world.other_official)
    page = client.get("/supervision/inspections/").content.decode()
    assert f"/supervision/inspections/{inspection.pk}/" not in page
    assert client.get(f"/supervision/inspections/{inspection.pk}/").status_code == 404


# ---- Recording an inspection ----------------------------------------------------------------------------


def test_the_new_inspection_form_is_made_for_a_phone_camera(client, world):
    client.force_login(world.inspector)
    page = client.get("/supervision/inspections/new/").content.decode()
    assert 'data-testid="inspection-form"' in page and 'enctype="multipart/form-data"' in page
    assert 'name="photos"' in page and 'capture="environment"' in page and " multiple" in page
    assert 'accept="image/*,.pdf,.doc,.docx,.xls,.xlsx"' in page
    assert f'value="{timezone.localdate().isoformat()}"' in page  # the date defaults to today
    assert world.wanan.full_name in page
    assert world.other_town.name not in page  # outside the group's scope


def test_an_inspector_records_an_inspection_with_findings_and_a_photo(client, world):
    task = world.task()
    client.force_login(world.inspector)
    data = inspection_post(
        world,
        tasks=[task.pk],
        **{
            "findings-0-task": task.pk,
            "findings-1-unit": world.shanmu.pk,
            "findings-1-text": "应急预案未演练",
        },
    )
    response = client.post("/supervision/inspections/new/", {**data, "photos": [jpeg(), jpeg("二号.jpg")]})
    inspection = Inspection.objects.get()
    assert response.status_code == 302 and response.url == f"/supervision/inspections/{inspection.pk}/"
    assert (inspection.created_by, inspection.group) == (world.inspector, world.group)
    assert list(inspection.units_visited.all()) == [world.wanan]
    assert list(inspection.tasks_checked.all()) == [task]
    assert [(f.unit, f.task, f.text) for f in inspection.findings.all()] == [
        (world.wanan, task, "井下通风记录缺失"),
        (world.shanmu, None, "应急预案未演练"),
    ]
    photos = list(inspection.attachments.all())
    assert [p.original_name for p in photos] == ["现场照片.jpg", "二号.jpg"]
    assert all(p.thumbnail and p.web_copy and p.content_type == "image/jpeg" for p in photos)
    page = client.get(response.url).content.decode()
    assert f"/supervision/evidence/{photos[0].pk}/thumbnail/" in page
    assert "井下通风记录缺失" in page


def test_a_blank_findings_row_is_not_saved(client, world):
    client.force_login(world.inspector)
    client.post("/supervision/inspections/new/", inspection_post(world))
    assert Finding.objects.count() == 1


def test_errors_come_back_on_the_form_in_chinese_and_nothing_is_saved(client, world):
    client.force_login(world.inspector)
    data = inspection_post(world, summary="", **{"findings-1-unit": world.shanmu.pk})
    response = client.post("/supervision/inspections/new/", {**data, "photos": [jpeg()]})
    page = response.content.decode()
    assert response.status_code == 200
    assert "该字段是必填项" in page  # the summary, and the text of the second finding
    assert "浏览器不会保留已选择的文件" in page
    assert (Inspection.objects.count(), Finding.objects.count(), SupervisionAttachment.objects.count()) == (
        0,
        0,
        0,
    )


def test_a_future_date_is_refused_by_the_service_and_shown_on_the_form(client, world):
    client.force_login(world.inspector)
    response = client.post("/supervision/inspections/new/", inspection_post(world, date=days(1).isoformat()))
    assert "督查日期不能晚于今天" in response.content.decode()
    assert not Inspection.objects.exists()


def test_units_outside_the_groups_scope_are_refused(client, world):
    client.force_login(world.inspector)
    data = inspection_post(world, units=[world.other_town.pk], **{"findings-0-unit": world.other_town.pk})
    response = client.post("/supervision/inspections/new/", data)
    assert response.status_code == 200 and "有效的选项" in response.content.decode()
    assert not Inspection.objects.exists()


def test_a_findings_row_can_be_added_with_htmx(client, world):
    client.force_login(world.inspector)
    response = client.get(
        f"/supervision/inspections/new/finding-row/?group={world.group.pk}&index=3", HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert 'name="findings-3-unit"' in page and 'name="findings-3-text"' in page
    assert 'name="findings-TOTAL_FORMS" value="4"' in page and "index=4" in page


@pytest.mark.parametrize("who", ["office", "wanan_official", "leader"])
def test_a_non_member_can_neither_open_nor_post_the_new_inspection_form(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get("/supervision/inspections/new/").status_code == 403
    assert client.post("/supervision/inspections/new/", inspection_post(world)).status_code == 403
    assert client.get("/supervision/orders/new/").status_code == 403
    assert not Inspection.objects.exists()


def test_a_member_cannot_record_for_a_group_they_do_not_belong_to(client, world):
    other = services.group_create(
        name="市第七督导检查组", issuing_unit=world.city, by=world.city_office, scope_units=[world.county]
    )
    client.force_login(world.inspector)
    response = client.post("/supervision/inspections/new/", inspection_post(world, group=other.pk))
    assert response.status_code == 403
    assert not Inspection.objects.exists()


def test_the_group_select_reloads_the_scope_fields_for_the_chosen_group(client, world):
    other = services.group_create(
        name="市第七督导检查组",
        issuing_unit=world.city,
        by=world.city_office,
        scope_units=[world.other_county],
        members=[world.inspector],
    )
    client.force_login(world.inspector)
    page = client.get(f"/supervision/inspections/new/?group={other.pk}").content.decode()
    assert 'hx-get="/supervision/inspections/new/"' in page and 'hx-select="#scope-fields"' in page
    assert world.other_town.name in page and world.wanan.full_name not in page


# ---- One inspection: findings into orders -------------------------------------------------------------------


def test_a_finding_becomes_an_order_in_one_step(client, world):
    world.group.order_prefix = "临督"
    world.group.save()
    finding = record(world).findings.get()
    client.force_login(world.inspector)
    page = client.get(f"/supervision/inspections/{finding.inspection_id}/").content.decode()
    assert 'data-testid="finding-to-order"' in page and 'data-testid="finding-to-order-form"' in page
    response = client.post(
        f"/supervision/findings/{finding.pk}/issue-order/",
        {**order_post(finding), f"finding-{finding.pk}-cooperating_units": [world.yingji.pk]},
    )
    order = SupervisionOrder.objects.get()
    assert response.status_code == 302 and response.url == f"/supervision/orders/{order.pk}/"
    assert order.number == f"临督〔{timezone.localdate().year}〕1号"
    assert (order.finding, order.unit, order.urgency, order.problem) == (
        finding,
        world.wanan,
        "yellow",
        "问题0",
    )
    assert list(order.cooperating_units.all()) == [world.yingji]
    page = client.get(f"/supervision/inspections/{finding.inspection_id}/").content.decode()
    assert order.number in page and 'data-testid="finding-to-order"' not in page
    again = client.post(f"/supervision/findings/{finding.pk}/issue-order/", order_post(finding), follow=True)
    assert "这个问题已经下发过督办单" in again.content.decode()
    assert SupervisionOrder.objects.count() == 1


def test_a_finding_order_with_a_past_deadline_comes_back_with_the_message(client, world):
    finding = record(world).findings.get()
    client.force_login(world.inspector)
    response = client.post(
        f"/supervision/findings/{finding.pk}/issue-order/", order_post(finding, deadline=days(-1).isoformat())
    )
    page = response.content.decode()
    assert response.status_code == 200 and "整改时限不能早于今天" in page
    assert '<details class="mt-2" open>' in page
    assert not SupervisionOrder.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"), [("office", 403), ("wanan_official", 403), ("other_official", 404)]
)
def test_only_the_groups_members_may_turn_a_finding_into_an_order(client, world, who, status):
    finding = record(world).findings.get()
    client.force_login(getattr(world, who))
    if status == 403:
        page = client.get(f"/supervision/inspections/{finding.inspection_id}/").content.decode()
        assert "问题0" in page and 'data-testid="finding-to-order"' not in page
    response = client.post(f"/supervision/findings/{finding.pk}/issue-order/", order_post(finding))
    assert response.status_code == status
    assert not SupervisionOrder.objects.exists()


# ---- A new order --------------------------------------------------------------------------------------------


def test_an_inspector_issues_an_order_with_the_unit_and_task_filled_in(client, world):
    task = world.task()
    client.force_login(world.inspector)
    page = client.get(f"/supervision/orders/new/?unit={world.wanan.pk}&task={task.pk}").content.decode()
    assert f'<option value="{world.wanan.pk}" selected>' in page
    assert f'value="{task.pk}" class="form-check-input" id="id_tasks_0" checked' in page
    response = client.post(
        "/supervision/orders/new/",
        {
            "group": world.group.pk,
            "unit": world.wanan.pk,
            "cooperating_units": [world.yingji.pk],
            "tasks": [task.pk],
            "problem": "宿舍消防通道堆放杂物",
            "requirement": "立即清理",
            "deadline": days(3).isoformat(),
            "urgency": "red",
        },
    )
    order = SupervisionOrder.objects.get()
    assert response.url == f"/supervision/orders/{order.pk}/"
    assert (order.unit, order.urgency, list(order.tasks.all())) == (world.wanan, "red", [task])


def test_an_order_to_a_unit_outside_the_scope_is_refused(client, world):
    client.force_login(world.inspector)
    response = client.post(
        "/supervision/orders/new/",
        {
            "group": world.group.pk,
            "unit": world.other_town.pk,
            "problem": "问题",
            "requirement": "整改",
            "deadline": days(3).isoformat(),
            "urgency": "blue",
        },
    )
    assert response.status_code == 200 and "有效的选项" in response.content.decode()
    assert not SupervisionOrder.objects.exists()


# ---- The orders list's filters ----------------------------------------------------------------------------


def issue(world, unit, **kwargs):
    return services.order_issue(
        group=world.group,
        by=world.inspector,
        unit=unit,
        problem="问题",
        requirement="整改",
        deadline=kwargs.pop("deadline", days(3)),
        **kwargs,
    )


def test_the_orders_list_filters_by_my_groups_and_my_unit_and_marks_the_overdue(client, world):
    to_wanan, to_shanmu = issue(world, world.wanan), issue(world, world.shanmu, deadline=days(1))
    client.force_login(world.wanan_official)
    page = client.get("/supervision/?show=unit").content.decode()
    assert to_wanan.number in page and to_shanmu.number not in page
    assert 'data-filter="mine"' not in page  # not a member of any group
    client.force_login(world.inspector)
    page = client.get("/supervision/?show=mine").content.decode()
    assert to_wanan.number in page and to_shanmu.number in page
    assert 'data-testid="new-inspection-link"' in page and 'data-testid="new-order-link"' in page
    with time_machine.travel(timezone.now() + timezone.timedelta(days=2)):
        page = client.get("/supervision/").content.decode()
    assert f'data-order="{to_shanmu.pk}" data-overdue="1"' in page
    assert f'data-order="{to_wanan.pk}" data-overdue' not in page


# ---- Fixed query counts ---------------------------------------------------------------------------------


@pytest.fixture
def sized(world):
    def make(size):
        # One finding becomes the order; the others stay open, each with its "转为督办单" form.
        inspection = record(world, findings=size + 1, photos=size, tasks=[world.task() for _ in range(size)])
        order = issue(world, world.wanan, finding=inspection.findings.first())
        services.order_acknowledge(order=order, by=world.wanan_official)
        services.order_report_rectification(
            order=order, by=world.wanan_official, text="已整改", files=[jpeg() for _ in range(size)]
        )
        return inspection, order

    return make


PAGES = {
    "groups": lambda i, o: "/supervision/groups/",
    "inspections": lambda i, o: "/supervision/inspections/",
    "inspection": lambda i, o: f"/supervision/inspections/{i.pk}/",
    "new-inspection": lambda i, o: "/supervision/inspections/new/",
    "new-order": lambda i, o: "/supervision/orders/new/",
    "orders": lambda i, o: "/supervision/",
    "order": lambda i, o: f"/supervision/orders/{o.pk}/",
}


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("size", [1, 5])
def test_each_page_runs_a_fixed_number_of_queries(
    client, world, sized, django_assert_num_queries, name, size
):
    inspection, order = sized(size)
    client.force_login(world.inspector)
    url = PAGES[name](inspection, order)
    client.get(url)  # warm: the session, the content types
    expected = QUERIES[name]
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


# Of these, six come with every page (session, user, access, campaigns, the navigation's counts).
QUERIES = {
    "groups": 11,
    "inspections": 12,
    "inspection": 15,
    "new-inspection": 11,
    "new-order": 11,
    "orders": 12,  # the open and overdue counts over every order the filters keep, not the page shown
    "order": 12,
}
