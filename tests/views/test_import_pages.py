"""导入清单: the office's upload page, the preview of a file, its commit, and the template download."""

import io

import openpyxl
import pytest
from django.urls import reverse

from tasks import services
from tasks.models import ImportBatch, Task
from tests.factories import days
from tests.import_workbooks import XLSX, task_list_bytes, upload


def good_rows(world, count=2):
    return [
        [
            n,
            world.safety.name,
            f"万安镇燃气管道隐患排查{n}",
            "万安镇",
            "县应急管理局、山目乡",
            days(0).isoformat(),
            days(20).isoformat(),
            f"{days(10).isoformat()} 完成摸排",
        ]
        for n in range(1, count + 1)
    ]


def bad_rows(world):
    rows = good_rows(world)
    rows[0][3] = "县应急局"  # D2: no such unit
    rows[1][6] = "尽快"  # G3: not a date
    return rows


def post_file(client, content, name="清单.xlsx", **extra):
    return client.post(reverse("office-import"), {"file": upload(name, content)}, **extra)


@pytest.fixture
def office(client, world):
    client.force_login(world.office)
    return client


def previewed(client, world, rows) -> ImportBatch:
    response = post_file(client, task_list_bytes(rows))
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportBatch.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


# ---- Who may use it ----------------------------------------------------------------------------------


def test_the_office_sees_the_upload_form_the_template_link_and_the_instructions(office, world):
    page = office.get(reverse("office-import")).content.decode()
    assert 'type="file"' in page and 'accept=".xlsx' in page
    assert 'hx-encoding="multipart/form-data"' in page and "<progress" in page
    assert reverse("office-import-template") in page
    assert "12月15日前" in page and "10 MB" in page
    assert world.campaign.name in page


def test_the_office_home_and_nav_link_to_the_import(office):
    page = office.get(reverse("office")).content.decode()
    assert page.count(f'href="{reverse("office-import")}"') >= 2


def test_a_township_official_gets_403_everywhere_and_writes_nothing(client, world):
    client.force_login(world.office)
    batch = previewed(client, world, good_rows(world))
    client.force_login(world.wanan_official)
    assert client.get(reverse("office-import")).status_code == 403
    assert post_file(client, task_list_bytes(good_rows(world))).status_code == 403
    assert client.get(reverse("office-import-detail", args=[batch.pk])).status_code == 403
    assert client.post(reverse("office-import-commit", args=[batch.pk])).status_code == 403
    assert client.get(reverse("office-import-template")).status_code == 403
    assert ImportBatch.objects.count() == 1
    assert not Task.objects.exists()


def test_another_countys_office_gets_404_on_our_batch(client, world):
    client.force_login(world.office)
    batch = previewed(client, world, good_rows(world))
    client.force_login(world.other_office)
    assert client.get(reverse("office-import-detail", args=[batch.pk])).status_code == 404
    assert client.post(reverse("office-import-commit", args=[batch.pk])).status_code == 404
    assert not Task.objects.exists()


def test_another_countys_office_does_not_see_our_batches_in_its_list(client, world):
    client.force_login(world.office)
    batch = previewed(client, world, good_rows(world))
    client.force_login(world.other_office)
    page = client.get(reverse("office-import")).content.decode()
    assert reverse("office-import-detail", args=[batch.pk]) not in page


# ---- Upload ------------------------------------------------------------------------------------------


def test_a_file_that_is_not_xlsx_is_refused_with_a_message_and_nothing_is_written(office, world):
    response = post_file(office, b"this is not a workbook", name="清单.xlsx")
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="import-refused"' in page
    assert 'type="file"' in page
    assert not ImportBatch.objects.exists()
    assert not Task.objects.exists()


def test_an_old_xls_file_is_refused(office):
    response = post_file(office, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, name="清单.xls")
    assert response.status_code == 400
    assert not ImportBatch.objects.exists()


def test_posting_without_a_file_shows_the_form_again(office):
    response = office.post(reverse("office-import"), {})
    assert response.status_code == 400
    assert not ImportBatch.objects.exists()


def test_an_accepted_file_goes_to_its_preview(office, world):
    response = post_file(office, task_list_bytes(good_rows(world)))
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("office-import-detail", args=[batch.pk])
    assert not Task.objects.exists()  # a preview writes no task


def test_with_htmx_an_accepted_file_answers_hx_redirect(office, world):
    response = post_file(office, task_list_bytes(good_rows(world)), HTTP_HX_REQUEST="true")
    batch = ImportBatch.objects.get()
    assert response["HX-Redirect"] == reverse("office-import-detail", args=[batch.pk])


def test_with_htmx_a_refused_file_answers_the_form_partial(office):
    response = post_file(office, b"not a zip", HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="import-form"' in page
    assert "<html" not in page and 'data-testid="import-refused"' in page


# ---- Preview -----------------------------------------------------------------------------------------


def test_the_preview_lists_each_problem_with_its_cell_and_offers_no_commit(office, world):
    batch = previewed(office, world, bad_rows(world))
    page = office.get(reverse("office-import-detail", args=[batch.pk])).content.decode()
    assert 'data-testid="import-problems"' in page
    assert 'data-cell="D2"' in page and "县应急局" in page
    assert 'data-cell="G3"' in page and "尽快" in page
    assert reverse("office-import-commit", args=[batch.pk]) not in page
    assert 'data-testid="import-blocked"' in page
    assert page.index('data-testid="import-problems"') < page.index('data-testid="import-rows"')


def test_the_preview_shows_counts_and_every_row(office, world):
    batch = previewed(office, world, good_rows(world, 3))
    page = office.get(reverse("office-import-detail", args=[batch.pk])).content.decode()
    assert '<div class="wa-figure" data-count="create">3</div>' in page
    for n in (2, 3, 4):
        assert f'data-row="{n}" data-action="create"' in page
    assert "万安镇燃气管道隐患排查3" in page and "县应急管理局、山目乡" in page
    assert reverse("office-import-commit", args=[batch.pk]) in page


def test_committing_a_file_with_problems_is_refused_with_a_message(office, world):
    batch = previewed(office, world, bad_rows(world))
    response = office.post(reverse("office-import-commit", args=[batch.pk]), follow=True)
    assert response.status_code == 200
    assert 'class="alert alert-danger"' in response.content.decode()
    assert not Task.objects.exists()


def test_commit_creates_the_tasks_and_says_how_many(office, world):
    batch = previewed(office, world, good_rows(world, 2))
    response = office.post(reverse("office-import-commit", args=[batch.pk]), follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="import-committed"' in page
    assert "新建 2 项" in page
    assert f"{reverse('task-list')}?campaign={world.campaign.pk}" in page
    assert set(Task.objects.values_list("title", flat=True)) == {
        "万安镇燃气管道隐患排查1",
        "万安镇燃气管道隐患排查2",
    }


def test_a_committed_batch_cannot_be_committed_again(office, world):
    batch = previewed(office, world, good_rows(world, 2))
    office.post(reverse("office-import-commit", args=[batch.pk]))
    page = office.get(reverse("office-import-detail", args=[batch.pk])).content.decode()
    assert reverse("office-import-commit", args=[batch.pk]) not in page
    response = office.post(reverse("office-import-commit", args=[batch.pk]), follow=True)
    assert response.status_code == 200
    assert 'class="alert alert-danger"' in response.content.decode()
    assert Task.objects.count() == 2


def test_the_same_file_again_previews_as_unchanged(office, world):
    rows = good_rows(world, 2)
    office.post(reverse("office-import-commit", args=[previewed(office, world, rows).pk]))
    again = previewed(office, world, rows)
    page = office.get(reverse("office-import-detail", args=[again.pk])).content.decode()
    assert '<div class="wa-figure" data-count="unchanged">2</div>' in page
    assert '<div class="wa-figure" data-count="create">0</div>' in page


def test_the_preview_page_runs_a_fixed_number_of_queries(office, world, django_assert_num_queries):
    few = previewed(office, world, good_rows(world, 2))
    many = previewed(office, world, good_rows(world, 40))
    office.get(reverse("office-import-detail", args=[few.pk]))  # warm the session and the campaign
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        assert office.get(reverse("office-import-detail", args=[few.pk])).status_code == 200
    with django_assert_num_queries(len(first.captured_queries)):
        assert office.get(reverse("office-import-detail", args=[many.pk])).status_code == 200


# ---- Template ----------------------------------------------------------------------------------------


def test_the_template_is_an_xlsx_with_the_headers_named_after_the_campaign(office, world):
    response = office.get(reverse("office-import-template"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename=\"template.xlsx\"; filename*=UTF-8''")
    from urllib.parse import unquote

    assert unquote(disposition.split("''", 1)[1]) == f"{world.campaign.name}任务清单模板.xlsx"
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    cells = {str(c.value) for row in workbook.worksheets[0].iter_rows(max_row=10) for c in row if c.value}
    for header in ("专项行动", "任务", "牵头单位", "配合单位", "责任领导", "完成时限"):
        assert header in cells


def test_an_update_shows_each_changed_field_before_and_after(office, world):
    rows = good_rows(world, 1)
    office.post(reverse("office-import-commit", args=[previewed(office, world, rows).pk]))
    rows[0][6] = days(30).isoformat()
    batch = previewed(office, world, rows)
    page = office.get(reverse("office-import-detail", args=[batch.pk])).content.decode()
    assert 'data-row="2" data-action="update"' in page
    assert f"<del>{days(20).isoformat()}</del> → <ins>{days(30).isoformat()}</ins>" in page


def test_the_fixed_file_goes_to_the_campaign_of_the_preview_it_was_uploaded_from(office, world):
    batch = previewed(office, world, bad_rows(world))
    # A newer campaign starts meanwhile: it becomes the current one.
    newer = services.campaign_create(
        owner=world.county,
        name="洪洞县春季行动",
        code="CJ",
        start_date=days(-5),
        end_date=days(90),
        by=world.office,
    )
    page = office.get(reverse("office-import-detail", args=[batch.pk])).content.decode()
    assert f'name="campaign" value="{world.campaign.pk}"' in page
    response = office.post(
        reverse("office-import"),
        {"file": upload("清单.xlsx", task_list_bytes(good_rows(world))), "campaign": world.campaign.pk},
    )
    assert response.status_code == 302
    assert ImportBatch.objects.order_by("-id").first().campaign == world.campaign
    assert newer.imports.count() == 0


def test_a_campaign_i_cannot_see_is_a_404(office, world):
    response = office.post(
        reverse("office-import"),
        {"file": upload("清单.xlsx", task_list_bytes(good_rows(world))), "campaign": 999999},
    )
    assert response.status_code == 404
    assert not ImportBatch.objects.exists()
