"""Supervision evidence: inspection photos and rectification files are checked from their content,
stored with copies, shown on the pages and served only to those who may see their inspection or order."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from supervision import services
from supervision.models import (
    Inspection,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
    SupervisionAttachment,
)
from tests.factories import days

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
# A Windows program's first bytes: what a renamed .exe looks like inside.
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 200
    + b"This program cannot be run"
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def image(name="现场照片.jpg", fmt="JPEG", size=(64, 48)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def pdf(name="整改报告.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def exe(name="整改照片.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, EXE, content_type="image/jpeg")


def stored_files(media) -> list:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def record(world, photos=()):
    return services.inspection_record(
        group=world.group,
        by=world.inspector,
        kind="on_site",
        date=days(0),
        summary="实地检查万安镇煤矿",
        findings=[{"unit": world.wanan, "text": "井下通风记录缺失"}],
        photos=photos,
    )


@pytest.fixture
def acknowledged(world):
    order = services.order_issue(
        group=world.group,
        by=world.inspector,
        unit=world.wanan,
        problem="宿舍消防通道堆放杂物",
        requirement="立即清理并反馈照片",
        deadline=days(5),
    )
    return services.order_acknowledge(order=order, by=world.wanan_official)


def rectified(world, order, files):
    return services.order_report_rectification(
        order=order, by=world.wanan_official, text="已清理", files=files
    )


# ---- Services -----------------------------------------------------------------------------------------


def test_an_inspection_keeps_its_photos_with_upright_copies(world):
    inspection = record(world, photos=[image(), image("门岗.png", "PNG"), pdf()])
    photo, png, document = inspection.attachments.order_by("id")
    assert (photo.content_type, png.content_type, document.content_type) == (
        "image/jpeg",
        "image/png",
        "application/pdf",
    )
    assert photo.thumbnail and photo.web_copy and png.thumbnail
    assert not document.thumbnail
    assert (photo.uploaded_by, photo.order_id, photo.original_name) == (world.inspector, None, "现场照片.jpg")


def test_a_bad_photo_refuses_the_whole_inspection_and_stores_nothing(world, media):
    with pytest.raises(ValidationError) as refused:
        record(world, photos=[image(), exe()])
    assert "photos" in refused.value.message_dict
    assert "“整改照片.jpg”的内容不是允许的文件类型" in refused.value.message_dict["photos"][0]
    assert (Inspection.objects.count(), SupervisionAttachment.objects.count()) == (0, 0)
    assert stored_files(media) == []


def test_a_rectification_keeps_its_files_with_its_event(world, acknowledged):
    order = rectified(world, acknowledged, [image(), pdf()])
    event = OrderEvent.objects.get(order=order, kind=OrderEventKind.RECTIFIED)
    assert [(a.order, a.order_event, a.inspection) for a in event.attachments.all()] == [
        (order, event, None),
        (order, event, None),
    ]


def test_a_bad_file_refuses_the_rectification_and_changes_nothing(world, acknowledged, media):
    with pytest.raises(ValidationError) as refused:
        rectified(world, acknowledged, [exe()])
    assert "files" in refused.value.message_dict
    acknowledged.refresh_from_db()
    assert (acknowledged.status, acknowledged.rectification) == (OrderStatus.ACKNOWLEDGED, "")
    assert not OrderEvent.objects.filter(kind=OrderEventKind.RECTIFIED).exists()
    assert stored_files(media) == []


def test_more_than_ten_files_are_refused(world, acknowledged):
    with pytest.raises(ValidationError) as refused:
        rectified(world, acknowledged, [image(f"{i}.jpg") for i in range(11)])
    assert "一次最多上传 10 个文件" in refused.value.message_dict["files"][0]


# ---- Pages ----------------------------------------------------------------------------------------------


def test_the_unit_reports_a_rectification_with_photos_from_the_page(client, world, acknowledged):
    client.force_login(world.wanan_official)
    page = client.get(f"/supervision/orders/{acknowledged.pk}/").content.decode()
    assert 'data-testid="order-rectify-form"' in page and 'enctype="multipart/form-data"' in page
    assert 'name="files" multiple accept="image/*,.pdf,.doc,.docx,.xls,.xlsx"' in page
    response = client.post(
        f"/supervision/orders/{acknowledged.pk}/rectify/", {"text": "通道已清理", "files": [image(), pdf()]}
    )
    assert response.status_code == 302
    photo, document = SupervisionAttachment.objects.order_by("id")
    page = client.get(f"/supervision/orders/{acknowledged.pk}/").content.decode()
    assert f"/supervision/evidence/{photo.pk}/thumbnail/" in page
    assert f"/supervision/evidence/{document.pk}/download/" in page and "整改报告.pdf" in page


def test_an_exe_renamed_jpg_is_refused_on_the_order_page_and_nothing_is_saved(client, world, acknowledged):
    client.force_login(world.wanan_official)
    response = client.post(
        f"/supervision/orders/{acknowledged.pk}/rectify/", {"text": "通道已清理", "files": [image(), exe()]}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "“整改照片.jpg”的内容不是允许的文件类型" in page
    assert "通道已清理</textarea>" in page  # the text is kept; the files must be chosen again
    assert "浏览器不会保留已选择的文件" in page
    acknowledged.refresh_from_db()
    assert acknowledged.status == OrderStatus.ACKNOWLEDGED
    assert not SupervisionAttachment.objects.exists()


def test_an_exe_renamed_jpg_is_refused_on_the_inspection_page_and_nothing_is_saved(client, world, media):
    client.force_login(world.inspector)
    response = client.post(
        "/supervision/inspections/new/",
        {
            "group": world.group.pk,
            "kind": "on_site",
            "date": days(0).isoformat(),
            "summary": "检查",
            "findings-TOTAL_FORMS": "1",
            "findings-INITIAL_FORMS": "0",
            "findings-0-unit": world.wanan.pk,
            "findings-0-text": "问题",
            "photos": [exe()],
        },
    )
    assert response.status_code == 200
    assert "“整改照片.jpg”的内容不是允许的文件类型" in response.content.decode()
    assert not Inspection.objects.exists() and stored_files(media) == []


def test_another_unit_cannot_rectify_with_files(client, world, acknowledged, media):
    client.force_login(world.shanmu_official)
    response = client.post(
        f"/supervision/orders/{acknowledged.pk}/rectify/", {"text": "已整改", "files": [image()]}
    )
    assert response.status_code == 403
    assert not SupervisionAttachment.objects.exists() and stored_files(media) == []


# ---- Checked downloads ---------------------------------------------------------------------------------


@pytest.fixture
def order_evidence(world, acknowledged):
    rectified(world, acknowledged, [image(), pdf()])
    return SupervisionAttachment.objects.order_by("id")


@pytest.mark.parametrize("who", ["wanan_official", "inspector", "office", "leader", "city_office"])
def test_the_orders_evidence_is_served_to_those_who_see_the_order(client, world, order_evidence, who):
    photo, document = order_evidence
    client.force_login(getattr(world, who))
    original = client.get(f"/supervision/evidence/{photo.pk}/download/")
    assert original.status_code == 200
    assert original["X-Content-Type-Options"] == "nosniff"
    assert original["Content-Type"] == "image/jpeg"
    assert original["Content-Disposition"].startswith("attachment")
    for variant in ("thumbnail", "web"):
        copy = client.get(f"/supervision/evidence/{photo.pk}/{variant}/")
        assert (copy.status_code, copy["Content-Type"], copy["X-Content-Type-Options"]) == (
            200,
            "image/jpeg",
            "nosniff",
        )
        assert copy["Content-Disposition"] == "inline"
        assert b"".join(copy.streaming_content).startswith(b"\xff\xd8")
    assert client.get(f"/supervision/evidence/{document.pk}/download/")["Content-Type"] == "application/pdf"
    assert client.get(f"/supervision/evidence/{document.pk}/thumbnail/").status_code == 404  # no copies


def test_evidence_is_a_404_to_those_who_cannot_see_the_order(client, world, order_evidence):
    photo, _document = order_evidence
    client.force_login(world.other_official)
    for variant in ("download", "thumbnail", "web"):
        assert client.get(f"/supervision/evidence/{photo.pk}/{variant}/").status_code == 404
    assert client.get("/supervision/evidence/999999/download/").status_code == 404


def test_evidence_asks_an_anonymous_visitor_to_sign_in(client, order_evidence):
    response = client.get(f"/supervision/evidence/{order_evidence[0].pk}/download/")
    assert response.status_code == 302 and response.url.startswith("/login/")


@pytest.mark.parametrize(("who", "status"), [("inspector", 200), ("office", 200), ("other_official", 404)])
def test_inspection_photos_are_served_with_the_inspection(client, world, who, status):
    photo = record(world, photos=[image()]).attachments.get()
    client.force_login(getattr(world, who))
    assert client.get(f"/supervision/evidence/{photo.pk}/thumbnail/").status_code == status


# ---- API -------------------------------------------------------------------------------------------------


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_a_rectification_with_files_over_the_api(world, acknowledged):
    response = api(world.wanan_official).post(
        f"/api/v1/supervision-orders/{acknowledged.pk}/report-rectification/",
        {"text": "通道已清理", "files": [image(), pdf()]},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    event = OrderEvent.objects.get(kind=OrderEventKind.RECTIFIED)
    assert body["status"] == "rectified"
    assert [(a["original_name"], a["order_event"]) for a in body["attachments"]] == [
        ("现场照片.jpg", event.pk),
        ("整改报告.pdf", event.pk),
    ]
    assert body["attachments"][0]["download_url"].endswith(
        f"/supervision/evidence/{body['attachments'][0]['id']}/download/"
    )


def test_a_rectification_in_json_still_works(world, acknowledged):
    response = api(world.wanan_official).post(
        f"/api/v1/supervision-orders/{acknowledged.pk}/report-rectification/",
        {"text": "已整改"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["attachments"] == []


def test_a_bad_file_over_the_api_is_refused_and_changes_nothing(world, acknowledged, media):
    response = api(world.wanan_official).post(
        f"/api/v1/supervision-orders/{acknowledged.pk}/report-rectification/",
        {"text": "已整改", "files": [exe()]},
        format="multipart",
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["files"]
    assert "内容不是允许的文件类型" in response.json()["fields"]["files"][0]
    acknowledged.refresh_from_db()
    assert acknowledged.status == OrderStatus.ACKNOWLEDGED and stored_files(media) == []


def test_another_unit_cannot_rectify_with_files_over_the_api(world, acknowledged, media):
    response = api(world.shanmu_official).post(
        f"/api/v1/supervision-orders/{acknowledged.pk}/report-rectification/",
        {"text": "已整改", "files": [image()]},
        format="multipart",
    )
    assert response.status_code == 403
    assert stored_files(media) == []


def test_an_inspection_with_photos_over_the_api(world):
    response = api(world.inspector).post(
        "/api/v1/inspections/",
        {
            "group": world.group.pk,
            "kind": "spot_check",
            "date": days(0).isoformat(),
            "summary": "抽查万安镇",
            "units": [world.wanan.pk, world.shanmu.pk],
            "findings[0]unit": world.wanan.pk,
            "findings[0]text": "台账缺失",
            "photos": [image(), image("二号.jpg")],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [f["text"] for f in body["findings"]] == ["台账缺失"]
    assert [u["id"] for u in body["units_visited"]] == [world.wanan.pk, world.shanmu.pk]
    assert [a["original_name"] for a in body["attachments"]] == ["现场照片.jpg", "二号.jpg"]
    assert Inspection.objects.get().attachments.count() == 2
