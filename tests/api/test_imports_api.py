"""POST /api/v1/imports/ (upload and preview), GET one or the list, POST …/commit/, GET …/template/:
over HTTP, as anonymous, forbidden and allowed callers."""

import io

import pytest
from openpyxl import load_workbook

from tasks.imports import import_preview
from tasks.models import ImportBatch, ImportStatus, Task
from tests.tasks.test_imports import _december, row, upload, xlsx  # noqa: F401 (the fixture freezes the day)

URL = "/api/v1/imports/"


def post_file(client, world, content, name="清单.xlsx"):
    return client.post(
        URL, {"file": upload(content, name), "campaign": world.campaign.pk}, format="multipart"
    )


@pytest.fixture
def batch(world):
    return import_preview(campaign=world.campaign, file=upload(xlsx([row(责任领导=None)])), by=world.office)


def test_office_uploads_a_list_and_gets_its_preview(world, api):
    response = post_file(api(world.office), world, xlsx([row(责任领导=None)]))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "previewed"
    assert body["can_commit"] is True
    assert body["counts"]["create"] == 1
    assert body["preview"]["rows"][0]["lead_unit"] == "万安镇"
    assert body["uploaded_by"]["id"] == world.office.pk
    assert not Task.objects.exists()


def test_preview_shows_each_problem_with_its_cell(world, api):
    response = post_file(api(world.office), world, xlsx([row(责任领导=None, 牵头单位="县应急局")]))

    assert response.status_code == 201
    body = response.json()
    assert body["can_commit"] is False
    assert body["preview"]["problems"] == [
        {"cell": "E2", "row": 2, "message": 'E2: 未知单位"县应急局",是否为"县应急管理局"?'}
    ]


def test_a_refused_file_is_a_400_in_the_error_shape(world, api):
    response = post_file(api(world.office), world, b"not a workbook")

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}
    assert "不是有效的 .xlsx" in body["detail"]
    assert not ImportBatch.objects.exists()


def test_a_missing_file_is_a_400(world, api):
    response = api(world.office).post(URL, {"campaign": world.campaign.pk}, format="multipart")

    assert response.status_code == 400
    assert "file" in response.json()["fields"]


def test_commit_writes_the_tasks(world, api, batch):
    response = api(world.office).post(f"{URL}{batch.pk}/commit/")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "committed"
    assert Task.objects.get().title == "煤矿隐患排查"


def test_commit_of_a_list_with_problems_is_a_400(world, api):
    batch = import_preview(
        campaign=world.campaign, file=upload(xlsx([row(完成时限="尽快")])), by=world.office
    )

    response = api(world.office).post(f"{URL}{batch.pk}/commit/")

    assert response.status_code == 400
    assert "处问题" in response.json()["detail"]
    assert not Task.objects.exists()


def test_committing_twice_is_a_400(world, api, batch):
    client = api(world.office)
    client.post(f"{URL}{batch.pk}/commit/")

    response = client.post(f"{URL}{batch.pk}/commit/")

    assert response.status_code == 400
    assert "已经导入过" in response.json()["detail"]
    assert Task.objects.count() == 1


def test_office_reads_a_batch_and_its_list(world, api, batch):
    client = api(world.office)

    detail = client.get(f"{URL}{batch.pk}/")
    listed = client.get(URL)

    assert detail.status_code == 200
    assert detail.json()["preview"]["counts"]["rows"] == 1
    assert [item["id"] for item in listed.json()["results"]] == [batch.pk]
    assert "preview" not in listed.json()["results"][0]


def test_the_city_office_sees_the_county_batch(world, api, batch):
    assert api(world.city_office).get(f"{URL}{batch.pk}/").status_code == 200


def test_another_county_office_can_neither_see_nor_commit_a_batch(world, api, batch):
    client = api(world.other_office)

    assert client.get(f"{URL}{batch.pk}/").status_code == 404
    assert client.post(f"{URL}{batch.pk}/commit/").status_code == 404
    assert client.get(URL).json()["results"] == []
    batch.refresh_from_db()
    assert batch.status == ImportStatus.PREVIEWED


def test_another_county_office_cannot_upload_to_the_campaign(world, api):
    response = post_file(api(world.other_office), world, xlsx([row()]))

    assert response.status_code == 400
    assert "campaign" in response.json()["fields"]


@pytest.mark.parametrize("path", ["", "{pk}/", "{pk}/commit/", "template/?campaign={campaign}"])
def test_a_unit_official_is_refused(world, api, batch, path):
    client = api(world.wanan_official)
    url = URL + path.format(pk=batch.pk, campaign=world.campaign.pk)

    response = client.post(url) if "commit" in path else client.get(url)

    assert response.status_code == 403
    assert "督查室" in response.json()["detail"]


def test_a_unit_official_cannot_upload(world, api):
    assert post_file(api(world.wanan_official), world, xlsx([row()])).status_code == 403
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize("path", ["", "{pk}/", "{pk}/commit/", "template/?campaign={campaign}"])
def test_anonymous_is_refused(world, api, batch, path):
    client = api()
    url = URL + path.format(pk=batch.pk, campaign=world.campaign.pk)

    response = client.post(url) if "commit" in path else client.get(url)

    assert response.status_code in (401, 403)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.PREVIEWED


def test_a_read_only_token_cannot_commit(world, api, batch, make_token):
    response = api(token=make_token(world.office, read_only=True)).post(f"{URL}{batch.pk}/commit/")

    assert response.status_code == 403


def test_office_downloads_the_template(world, api):
    response = api(world.office).get(f"{URL}template/", {"campaign": world.campaign.pk})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"]
    assert "filename*=utf-8''" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["清单", "选项"]


def test_the_template_needs_a_visible_campaign(world, api):
    assert api(world.office).get(f"{URL}template/").status_code == 400
    assert api(world.other_office).get(f"{URL}template/", {"campaign": world.campaign.pk}).status_code == 400
