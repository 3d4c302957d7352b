"""Evidence files (佐证材料): what may be uploaded, and the copies made of photos.

`validate_uploads` decides from the file's CONTENT, never from its name or the type the
browser claims: `filetype` reads the signature, Pillow then opens and decodes every image,
and Office files are recognised by their inner structure. The form on the task page and the
services (so the API too) call it, so every door has the same rules.

Pixel floods: a PNG of one colour, 9400×9400, is 258 KB on disk and 1.2 GB decoded. Every image is
opened lazily (Pillow reads only the header), restricted to the format its signature named, and
refused with its size in the message when it has more than EVIDENCE_MAX_PIXELS, before anything
decodes it. A JPEG is then decoded at a reduced scale (`draft`: 1/2 to 1/8, in the decoder) both for
the check and for the copies; a PNG or WebP has no such mode and is decoded whole, at most
EVIDENCE_MAX_PIXELS of it. Pillow opens user files nowhere else but in openpyxl, which reads the
size of the pictures in an uploaded workbook without decoding them (and Pillow's own bomb check
refuses one over twice its 89 MP there).

`serve` hands a stored file (the original, or a copy) to someone the caller has already checked may
see it: the original as a download, the copies inline, never sniffed or run as a page.

`store` saves checked files as rows of an attachment model (a task's `Attachment`, supervision's
`SupervisionAttachment`: the same columns), each photo with its copies. The services call it last,
after every check has passed, so a refusal writes nothing to the database or to disk. A file is
stored under a random name whose extension comes from the type found (`.jpg`, `.pdf`, …), never
from the uploader's name: `x.html` holding a JPEG is `….jpg` on disk and `x.jpg` when downloaded.

`make_copies` gives a photo a thumbnail for galleries and a web-size JPEG (at most 1600 px
on its longest side), both turned upright from the EXIF orientation. The original is kept
untouched as evidence; the copies carry no EXIF (no GPS position leaks into the gallery).
"""

import io
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 10
THUMBNAIL_PX = 320
WEB_COPY_PX = 1600

IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
ALLOWED_TYPES = frozenset([*IMAGE_TYPES, PDF, DOC, DOCX, XLS, XLSX])

# The extension a file of each type is stored and downloaded with; a download also keeps the other
# usual spellings. Anything else (no checked upload is) would be `.bin`.
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    PDF: ".pdf",
    DOC: ".doc",
    DOCX: ".docx",
    XLS: ".xls",
    XLSX: ".xlsx",
}
OTHER_SPELLINGS = {"image/jpeg": {".jpeg", ".jpe", ".jfif"}}

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class CheckedUpload:
    upload: object  # the UploadedFile (or File) as it came
    content_type: str  # what the content is, as found here

    @property
    def is_image(self) -> bool:
        return self.content_type in IMAGE_TYPES


def allowed_types_label() -> str:
    return _("图片(JPG、PNG、WebP)、PDF、Word(doc、docx)、Excel(xls、xlsx)")


def extension_of(content_type: str) -> str:
    return EXTENSIONS.get(content_type, ".bin")


class TooManyPixels(Exception):
    """An image larger than EVIDENCE_MAX_PIXELS, found from its header before any decoding."""

    def __init__(self, size: tuple[int, int]):
        super().__init__(f"{size[0]}×{size[1]} pixels")
        self.size = size


def open_image(fp, content_type: str) -> Image.Image:
    """The image, opened lazily as the one format `content_type` names; TooManyPixels when its header
    says it is larger than EVIDENCE_MAX_PIXELS (checked before anything decodes it)."""
    image = Image.open(fp, formats=[IMAGE_TYPES[content_type]])
    if image.width * image.height > settings.EVIDENCE_MAX_PIXELS:
        image.close()
        raise TooManyPixels(image.size)
    return image


# ---- Recognising the content ---------------------------------------------------------------


def _read_all(upload) -> bytes:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data


def _office_type(data: bytes, guessed: str | None) -> str | None:
    """Word or Excel, from the file's structure: a zip's part names or an OLE file's stream names."""
    if guessed in (DOC, DOCX, XLS, XLSX):
        return guessed
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, ValueError):
            return None
        if "[Content_Types].xml" in names:
            if "word/document.xml" in names:
                return DOCX
            if "xl/workbook.xml" in names:
                return XLSX
        return None
    if data.startswith(OLE_MAGIC):
        # An OLE compound file names its streams in UTF-16 in its directory sectors.
        if "WordDocument".encode("utf-16-le") in data:
            return DOC
        if "Workbook".encode("utf-16-le") in data or "Book\x00".encode("utf-16-le") in data:
            return XLS
    return None


def _image_is_sound(data: bytes, content_type: str) -> bool:
    """Pillow recognises the same format and can decode the whole picture (not truncated, not a bomb).
    Raises TooManyPixels for a picture over the limit."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with open_image(io.BytesIO(data), content_type) as image:
                if image.format != IMAGE_TYPES[content_type]:
                    return False
                image.verify()
            with open_image(io.BytesIO(data), content_type) as image:
                if image.format == "JPEG":  # decoding at 1/8 scale still reads every byte
                    image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
                image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return False  # UnidentifiedImageError is an OSError
    return True


def content_type_of(upload) -> str | None:
    """The allowed type this file's content is, or None. Raises TooManyPixels for an image over the
    pixel limit."""
    data = _read_all(upload)
    kind = filetype.guess(data[:8192])
    guessed = kind.mime if kind else None
    if guessed in IMAGE_TYPES:
        return guessed if _image_is_sound(data, guessed) else None
    if guessed == PDF:
        return PDF
    return _office_type(data, guessed)


# ---- Validation -------------------------------------------------------------------------------


def validate_uploads(files) -> list[CheckedUpload]:
    """Check every file; raise one ValidationError (field "attachments") naming each bad file."""
    files = [upload for upload in files if upload is not None]
    if len(files) > MAX_FILES:
        raise ValidationError(
            {
                "attachments": _("一次最多上传 %(max)d 个文件,你选择了 %(count)d 个。")
                % {"max": MAX_FILES, "count": len(files)}
            },
            code="too_many_files",
        )
    checked, errors = [], []
    for upload in files:
        name = getattr(upload, "name", "") or _("(未命名文件)")
        if upload.size == 0:
            errors.append(_("“%(name)s”是空文件。") % {"name": name})
            continue
        if upload.size > MAX_FILE_BYTES:
            errors.append(
                _("“%(name)s”有 %(size)s,超过了每个文件 %(max)s 的上限。")
                % {
                    "name": name,
                    "size": filesizeformat(upload.size),
                    "max": f"{MAX_FILE_BYTES // (1024 * 1024)} MB",
                }
            )
            continue
        try:
            content_type = content_type_of(upload)
        except TooManyPixels as exc:
            errors.append(
                _("“%(name)s”有 %(width)s×%(height)s 像素,超过了每张图片 %(max)s 像素的上限,请缩小后再上传。")
                % {
                    "name": name,
                    "width": exc.size[0],
                    "height": exc.size[1],
                    "max": f"{settings.EVIDENCE_MAX_PIXELS:,}",
                }
            )
            continue
        if content_type is None:
            errors.append(
                _("“%(name)s”的内容不是允许的文件类型(只收%(allowed)s),或者文件已损坏。")
                % {"name": name, "allowed": allowed_types_label()}
            )
            continue
        checked.append(CheckedUpload(upload, content_type))
    if errors:
        raise ValidationError({"attachments": errors}, code="bad_file")
    return checked


# ---- Copies of photos -------------------------------------------------------------------------


def _fitted(size: tuple[int, int], longest: int) -> tuple[int, int]:
    """`size` scaled down (never up) so that its longest side is at most `longest`."""
    width, height = size
    scale = min(1.0, longest / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _jpeg(image: Image.Image, longest: int) -> ContentFile:
    copy = image.copy()
    copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)  # reduce() by whole factors first
    if copy.mode in ("RGBA", "LA", "P"):
        copy = copy.convert("RGBA")
        background = Image.new("RGB", copy.size, (255, 255, 255))
        background.paste(copy, mask=copy.getchannel("A"))
        copy = background
    elif copy.mode != "RGB":
        copy = copy.convert("RGB")
    buffer = io.BytesIO()
    copy.save(buffer, "JPEG", quality=85, optimize=True, progressive=True)
    return ContentFile(buffer.getvalue())


def make_copies(attachment) -> None:
    """Give an image attachment its thumbnail and web-size copy (saved on the row)."""
    if attachment.content_type not in IMAGE_TYPES:
        return
    attachment.file.open("rb")
    try:
        with open_image(attachment.file, attachment.content_type) as image:
            # A JPEG is decoded at the smallest scale (1/2 … 1/8) still at least the web copy's size,
            # never whole (thumbnail's own draft asks for its square box: too big for a long photo);
            # then reduce() by whole factors and resample. A PNG or WebP is decoded whole.
            image.draft(None, _fitted(image.size, WEB_COPY_PX))
            image.thumbnail((WEB_COPY_PX, WEB_COPY_PX), Image.Resampling.LANCZOS)
            web = ImageOps.exif_transpose(image)
    finally:
        attachment.file.close()
    attachment.web_copy.save("web.jpg", _jpeg(web, WEB_COPY_PX), save=False)
    attachment.thumbnail.save("thumb.jpg", _jpeg(web, THUMBNAIL_PX), save=False)  # from the web copy
    attachment.save(update_fields=["web_copy", "thumbnail"])


def store(checked: list[CheckedUpload], model, *, by, **owner) -> list:
    """Save each checked file as a `model` row on its owner (`owner`: the row's foreign keys, e.g.
    task and progress_report, or inspection, or order and order_event), uploaded by `by`."""
    name_length = model._meta.get_field("original_name").max_length
    stored = []
    for item in checked:
        upload = item.upload
        attachment = model(
            # The model's upload_to gives it a random name keeping only this extension.
            file=File(upload, name=f"evidence{extension_of(item.content_type)}"),
            original_name=(getattr(upload, "name", "") or "file")[-name_length:],
            size=upload.size,
            content_type=item.content_type,  # what the content is, not what the client claimed
            uploaded_by=by,
            **owner,
        )
        attachment.save()
        make_copies(attachment)
        stored.append(attachment)
    return stored


def download_name(original_name: str, content_type: str) -> str:
    """The uploader's name for the download, made safe: no control or direction characters, no
    folders, and an extension that matches the content (`照片.html` holding a JPEG is `照片.jpg`)."""
    name = "".join(
        " " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char
        for char in original_name
        if unicodedata.category(char) != "Cf"  # e.g. U+202E, which shows "gpj.exe" as "exe.jpg"
    )
    name = name.replace("/", "_").replace("\\", "_").strip().lstrip(".") or "file"
    path = PurePosixPath(name)
    extension = extension_of(content_type)
    if path.suffix.lower() in {extension, *OTHER_SPELLINGS.get(content_type, ())}:
        return name
    return f"{path.stem if path.suffix else name}{extension}"


def serve(attachment, which: str) -> FileResponse:
    """`attachment`'s `which` ("file", "thumbnail" or "web_copy"); 404 when it has none. The caller
    decides who may have it: looking the attachment up in what the user may see, 404 otherwise."""
    stored = getattr(attachment, which)
    if not stored:
        raise Http404
    if which == "file":
        response = FileResponse(
            stored.open("rb"),
            as_attachment=True,
            filename=download_name(attachment.original_name, attachment.content_type),
            content_type=attachment.content_type,
        )
    else:  # our own JPEG copies of a photo: fine to show inline
        response = FileResponse(stored.open("rb"), content_type="image/jpeg")
        response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
