"""Evidence files: the type comes from the content, photos get upright copies, the original stays."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tasks import evidence, services
from tasks.models import Attachment


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def image_bytes(size=(40, 30), fmt="JPEG", mode="RGB", orientation=None) -> bytes:
    image = Image.new(mode, size, (200, 30, 30) if mode == "RGB" else (200, 30, 30, 128))
    buffer = io.BytesIO()
    kwargs = {}
    if orientation:
        exif = Image.Exif()
        exif[0x0112] = orientation
        kwargs["exif"] = exif
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def office_zip(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr(part, "<x/>")
    return buffer.getvalue()


def ole_file(stream_name: str) -> bytes:
    # Just enough of a compound file: the magic, and a directory entry naming the stream.
    return evidence.OLE_MAGIC + b"\x00" * 1016 + stream_name.encode("utf-16-le") + b"\x00" * 2000


PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


# ---- What is accepted, from its content ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("照片.jpg", image_bytes(), "image/jpeg"),
        ("照片.png", image_bytes(fmt="PNG"), "image/png"),
        ("照片.webp", image_bytes(fmt="WEBP"), "image/webp"),
        ("整改报告.pdf", PDF, evidence.PDF),
        ("整改报告.docx", office_zip("word/document.xml"), evidence.DOCX),
        ("台账.xlsx", office_zip("xl/workbook.xml"), evidence.XLSX),
        ("整改报告.doc", ole_file("WordDocument"), evidence.DOC),
        ("台账.xls", ole_file("Workbook"), evidence.XLS),
        # The name does not matter, the content does.
        ("照片.pdf", image_bytes(fmt="PNG"), "image/png"),
    ],
)
def test_allowed_files_are_recognised_from_their_content(name, content, expected):
    (checked,) = evidence.validate_uploads([upload(name, content, "text/plain")])
    assert checked.content_type == expected


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("现场照片.jpg", "这其实是一段文字".encode()),
        ("现场照片.jpg", b"\xff\xd8\xff\xe0 jpeg"),  # a JPEG signature and nothing behind it
        ("现场照片.png", b"\x89PNG\r\n\x1a\n"),
        ("现场照片.jpg", image_bytes(size=(400, 300))[:200]),  # truncated
        ("程序.docx", b"MZ\x90\x00" + b"\x00" * 100),  # an executable
        ("压缩包.docx", office_zip("other/file.xml")),  # a zip, but no Word document inside
        ("动图.gif", image_bytes(fmt="GIF", mode="RGB")),  # an image, not an allowed one
        ("安装包.doc", ole_file("SummaryInformation")),  # a compound file that is neither Word nor Excel
    ],
)
def test_other_content_is_refused_naming_the_file(name, content):
    with pytest.raises(ValidationError) as caught:
        evidence.validate_uploads([upload(name, content, "image/jpeg")])
    (message,) = caught.value.message_dict["attachments"]
    assert name in message


def test_each_bad_file_gets_its_own_message():
    files = [upload("好.jpg", image_bytes()), upload("坏1.jpg", b"text"), upload("坏2.pdf", b"text")]
    with pytest.raises(ValidationError) as caught:
        evidence.validate_uploads(files)
    messages = caught.value.message_dict["attachments"]
    assert len(messages) == 2
    assert "坏1.jpg" in messages[0] and "坏2.pdf" in messages[1]


def test_a_file_over_10_mb_is_refused():
    big = upload("大文件.pdf", PDF + b"0" * (10 * 1024 * 1024))
    with pytest.raises(ValidationError) as caught:
        evidence.validate_uploads([big])
    assert "大文件.pdf" in caught.value.message_dict["attachments"][0]
    assert "10 MB" in caught.value.message_dict["attachments"][0]


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError):
        evidence.validate_uploads([upload("空.pdf", b"")])


def test_more_than_10_files_are_refused():
    with pytest.raises(ValidationError) as caught:
        evidence.validate_uploads([upload(f"{i}.pdf", PDF) for i in range(11)])
    assert "10" in caught.value.message_dict["attachments"][0]
    assert len(evidence.validate_uploads([upload(f"{i}.pdf", PDF) for i in range(10)])) == 10


# ---- Through the service (the API's path) ------------------------------------------------------------


def test_a_photo_gets_a_thumbnail_and_a_web_copy_and_keeps_its_original(world):
    task = world.task()
    original = image_bytes(size=(3200, 2400))
    photo = upload("现场照片.jpg", original, "application/octet-stream")
    report = services.progress_report(
        task=task, by=world.wanan_official, percent=20, done="现场检查", attachments=[photo]
    )
    attachment = report.attachments.get()
    assert attachment.content_type == "image/jpeg"  # from the content, not the client's claim
    assert attachment.original_name == "现场照片.jpg"
    assert "现场照片" not in attachment.file.name  # stored under a random name
    with attachment.file.open("rb") as stored:
        assert stored.read() == original
    with Image.open(attachment.web_copy.path) as web:
        assert web.format == "JPEG" and max(web.size) == 1600 and web.size == (1600, 1200)
    with Image.open(attachment.thumbnail.path) as thumb:
        assert max(thumb.size) == 320


def test_copies_are_turned_upright_from_the_exif_orientation(world):
    task = world.task()
    # Stored 400×200, but the camera says "rotate 90°": the picture is portrait.
    photo = upload("竖拍.jpg", image_bytes(size=(400, 200), orientation=6))
    attachment = services.attachment_add(task=task, by=world.wanan_official, file=photo)
    with Image.open(attachment.web_copy.path) as web:
        assert web.size == (200, 400)
        assert not web.getexif().get(0x0112)  # the copies carry no EXIF


def test_a_transparent_png_gets_jpeg_copies(world):
    attachment = services.attachment_add(
        task=world.task(), by=world.wanan_official, file=upload("图.png", image_bytes(fmt="PNG", mode="RGBA"))
    )
    assert attachment.content_type == "image/png"
    with Image.open(attachment.thumbnail.path) as thumb:
        assert thumb.format == "JPEG" and thumb.mode == "RGB"


def test_a_pdf_is_kept_without_copies(world):
    attachment = services.attachment_add(
        task=world.task(), by=world.wanan_official, file=upload("整改报告.pdf", PDF, "image/png")
    )
    assert attachment.content_type == evidence.PDF
    assert not attachment.thumbnail and not attachment.web_copy


def test_the_service_refuses_a_fake_image_and_stores_nothing(world, settings):
    task = world.task()
    with pytest.raises(ValidationError) as caught:
        services.progress_report(
            task=task,
            by=world.wanan_official,
            percent=20,
            done="现场检查",
            attachments=[upload("好.jpg", image_bytes()), upload("假.jpg", b"\xff\xd8\xff\xe0 jpeg")],
        )
    assert "假.jpg" in caught.value.message_dict["attachments"][0]
    assert not Attachment.objects.exists()
    assert task.progress_reports.count() == 0
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(path.is_file() for path in media.rglob("*"))
