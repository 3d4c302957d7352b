"""Evidence on disk and over the wire (tasks/evidence.py): a stored file's extension comes from its
content, never from the uploader's name; downloads are never sniffed or shown as a page; an image
with too many pixels is refused from its header, before it is decoded; a large photo allowed in gets
its copies without being decoded whole."""

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from supervision.models import OrderStatus
from supervision.services import inspection_record, order_acknowledge, order_issue
from tasks import evidence, services
from tasks.models import Attachment
from tests.factories import days

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def image_bytes(size, fmt="JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 90, 160)).save(buffer, fmt)
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def stored_files(settings) -> list[Path]:
    media = Path(settings.MEDIA_ROOT)
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def download(client, world, attachment):
    client.force_login(world.office)
    return client.get(reverse("attachment-download", args=[attachment.pk]))


# ---- Stored and downloaded under the type found ------------------------------------------------------


def test_a_jpeg_named_html_is_stored_and_downloaded_as_a_jpg(client, world):
    attachment = services.attachment_add(
        task=world.task(), by=world.wanan_official, file=upload("现场照片.html", image_bytes((40, 30)))
    )
    assert attachment.file.name.endswith(".jpg")
    assert attachment.original_name == "现场照片.html"  # shown as the uploader named it
    response = download(client, world, attachment)
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Disposition"].endswith("%E7%8E%B0%E5%9C%BA%E7%85%A7%E7%89%87.jpg")


def test_a_pdf_named_exe_is_stored_and_downloaded_as_a_pdf(client, world):
    attachment = services.attachment_add(
        task=world.task(), by=world.wanan_official, file=upload("report.exe", PDF)
    )
    assert Path(attachment.file.name).suffix == ".pdf"
    response = download(client, world, attachment)
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'attachment; filename="report.pdf"'


def test_a_download_name_loses_direction_and_control_characters(client, world):
    # U+202E shows "report<RLO>fdp.exe" as "reportexe.pdf" in a file manager.
    attachment = services.attachment_add(
        task=world.task(), by=world.wanan_official, file=upload("report\u202efdp.exe", PDF)
    )
    response = download(client, world, attachment)
    assert response["Content-Disposition"] == 'attachment; filename="reportfdp.pdf"'


def test_html_content_named_html_is_refused_and_nothing_is_stored(world, settings):
    with pytest.raises(ValidationError) as caught:
        services.attachment_add(task=world.task(), by=world.wanan_official, file=upload("通知.html", HTML))
    assert "通知.html" in caught.value.message_dict["attachments"][0]
    assert not Attachment.objects.exists() and stored_files(settings) == []


def test_the_photo_copies_are_stored_as_jpg_whatever_the_original_was(world):
    attachment = services.attachment_add(
        task=world.task(), by=world.wanan_official, file=upload("图.html", image_bytes((40, 30), "PNG"))
    )
    assert Path(attachment.file.name).suffix == ".png"
    assert Path(attachment.web_copy.name).suffix == Path(attachment.thumbnail.name).suffix == ".jpg"


def test_supervision_evidence_is_stored_under_the_type_found_too(world):
    inspection = inspection_record(
        group=world.group,
        by=world.inspector,
        kind="on_site",
        date=days(0),
        summary="实地检查万安镇煤矿",
        findings=[{"unit": world.wanan, "text": "井下通风记录缺失"}],
        photos=[upload("现场照片.html", image_bytes((40, 30))), upload("整改方案.exe", PDF)],
    )
    assert [Path(a.file.name).suffix for a in inspection.attachments.order_by("id")] == [".jpg", ".pdf"]


# ---- Pixel floods ---------------------------------------------------------------------------------------


def one_colour_png(width: int, height: int) -> bytes:
    """A greyscale PNG of one colour: deflate shrinks it a thousandfold (9400×9400 is under 100 KB)."""
    buffer = io.BytesIO()
    Image.new("L", (width, height), 255).save(buffer, "PNG", optimize=False)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def flood_png() -> bytes:
    return one_colour_png(9400, 9400)  # 88 MP: under Pillow's own 89 MP limit


def test_a_pixel_flood_png_is_refused_from_its_header_naming_the_limit(world, settings, flood_png):
    assert len(flood_png) < 300 * 1024
    started = time.perf_counter()
    with pytest.raises(ValidationError) as caught:
        services.attachment_add(
            task=world.task(), by=world.wanan_official, file=upload("巨图.png", flood_png)
        )
    assert time.perf_counter() - started < 0.5  # decoding it takes seconds and 1.2 GB
    (message,) = caught.value.message_dict["attachments"]
    assert "巨图.png" in message and "9400×9400" in message and "40,000,000 像素" in message
    assert not Attachment.objects.exists() and stored_files(settings) == []


def test_a_pixel_flood_in_a_rectification_over_the_api_is_a_400_and_changes_nothing(
    world, settings, flood_png
):
    order = order_issue(
        group=world.group,
        by=world.inspector,
        unit=world.wanan,
        problem="宿舍消防通道堆放杂物",
        requirement="立即清理并反馈照片",
        deadline=days(5),
    )
    order = order_acknowledge(order=order, by=world.wanan_official)
    client = APIClient()
    client.force_login(world.wanan_official)
    response = client.post(
        f"/api/v1/supervision-orders/{order.pk}/report-rectification/",
        {"text": "已整改", "files": [upload("巨图.png", flood_png)]},
        format="multipart",
    )
    assert response.status_code == 400
    assert "9400×9400" in response.json()["fields"]["files"][0]
    order.refresh_from_db()
    assert order.status == OrderStatus.ACKNOWLEDGED and stored_files(settings) == []


def test_the_pixel_limit_is_a_setting(settings):
    settings.EVIDENCE_MAX_PIXELS = 1_000_000
    with pytest.raises(ValidationError, match="1,000,000 像素"):
        evidence.validate_uploads([upload("照片.jpg", image_bytes((1001, 1000)))])
    (checked,) = evidence.validate_uploads([upload("照片.jpg", image_bytes((1000, 1000)))])
    assert checked.content_type == "image/jpeg"


# Run in a fresh interpreter: its peak resident memory (VmHWM, which starts again at exec, unlike
# getrusage's maxrss) then grows with this photo's copies and nothing else.
MEASURE = """
import re, sys
import django
django.setup()
from types import SimpleNamespace
from django.core.files import File
from tasks import evidence

def peak_kb():
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\\s+(\\d+)", status.read())[1])

class Copy:
    def save(self, name, content, save=False):
        self.name = name

with open(sys.argv[1], "rb") as original:
    row = SimpleNamespace(content_type="image/jpeg", file=File(original), web_copy=Copy(), thumbnail=Copy(),
                          save=lambda **kwargs: None)
    before = peak_kb()
    evidence.make_copies(row)
    print((peak_kb() - before) // 1024)
"""


def test_a_large_photo_gets_its_copies_without_being_decoded_whole(world, tmp_path):
    # 7680×5120 (39 MP, under the limit) is 118 MB decoded whole; its copies need a quarter of it.
    original = image_bytes((7680, 5120))
    attachment = services.attachment_add(
        task=world.task(), by=world.wanan_official, file=upload("大图.jpg", original)
    )
    with Image.open(attachment.web_copy.path) as web, Image.open(attachment.thumbnail.path) as thumb:
        assert (web.size, thumb.size) == ((1600, 1067), (320, 213))

    photo = tmp_path / "large.jpg"
    photo.write_bytes(original)
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "winteraction.settings", "DEBUG": "1"}
    measured = subprocess.run(
        [sys.executable, "-c", MEASURE, str(photo)],
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    peak_mb = int(measured.stdout.split()[-1])
    assert peak_mb < 70  # 136 MB before draft was asked for the web copy's size; about 27 MB now
