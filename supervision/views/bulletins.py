"""情况通报 pages: the bulletins a user reads, a new draft (the office), one bulletin as it will read
with its section editor and its steps (重新生成数据, 签发, 印发, 作废), the A4 print page and the
downloads (.docx, PDF, the xlsx attachments).

Who sees what is `selectors.bulletins_visible_to` (the region's office and leaders and the groups
covering it read every bulletin, a unit the issued bulletins of its region): anything else is a 404.
The steps offered are supervision/permissions.py's predicates, the ones the services ask again; a step
posted by someone who may not take it is a 403, a step the bulletin's status refuses is a message.

What the page, the print page and the documents print is `bulletin_render.page(bulletin)`: the stored
sections and figures only. An issued bulletin downloads the PDF and .docx stored at its issue; before
issue they are rendered on the fly and marked 草稿.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tasks.models import Role
from tasks.selectors import campaigns_visible_to
from tasks.services import InvalidTransition
from tasks.views.common import current_campaign
from tasks.views.office import office_required
from winteraction.xlsx import XLSX_TYPE, attachment

from .. import bulletin_render, permissions, services
from ..forms import BulletinDraftForm
from ..models import BulletinStatus
from ..selectors import bulletin_get_for, bulletins_visible_to

LIST_LIMIT = 200
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"


def _may_draft(user) -> bool:
    return user.is_superuser or (user.role == Role.OFFICE and user.unit_id is not None)


def _may(user, bulletin) -> dict:
    """Which steps this user is offered (the services ask the same predicates)."""
    edit = permissions.can_edit_bulletin(user, bulletin)
    return {
        "edit": edit,
        "refresh": edit,
        "sign": permissions.can_sign_bulletin(user, bulletin),
        "issue": permissions.can_issue_bulletin(user, bulletin),
        "discard": permissions.can_discard_bulletin(user, bulletin),
    }


# ---- The list and a new draft -------------------------------------------------------------------------


@require_GET
@login_required
def bulletin_list(request):
    bulletins = list(bulletins_visible_to(request.user).defer("figures", "sections")[:LIST_LIMIT])
    return render(
        request,
        "supervision/bulletin_list.html",
        {
            "bulletins": bulletins,
            "shown_limit": LIST_LIMIT,
            "may_draft": _may_draft(request.user),
            "nav_section": "bulletins",
        },
    )


def _draftable_campaigns(user):
    """The campaigns the user may see whose region's office they are: a draft covers its owner."""
    campaigns = list(campaigns_visible_to(user))
    ids = [c.pk for c in campaigns if permissions.may_draft_bulletin(user, c.owner)]
    return campaigns_visible_to(user).filter(pk__in=ids).order_by("-start_date", "-id")


@require_http_methods(["GET", "POST"])
@office_required
def bulletin_new(request):
    campaigns = _draftable_campaigns(request.user)
    form = BulletinDraftForm(request.POST or None, campaigns=campaigns, campaign=current_campaign(request))
    if request.method == "POST" and form.is_valid():
        try:
            bulletin = services.bulletin_draft(by=request.user, **form.service_kwargs())
        except (ValidationError, PermissionDenied) as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("通报草稿已生成,请核对数据、修改正文后报领导签发。"))
            return redirect("bulletin-detail", pk=bulletin.pk)
    return render(
        request,
        "supervision/bulletin_new.html",
        {"form": form, "nav_section": "bulletins"},
        status=400 if form.errors else 200,
    )


# ---- One bulletin -------------------------------------------------------------------------------------------


def _visible(request, pk):
    return get_object_or_404(bulletins_visible_to(request.user), pk=pk)


def _detail_context(request, bulletin, *, editing: dict | None = None) -> dict:
    may = _may(request.user, bulletin)
    sections = bulletin.sections or []
    if editing is not None:  # the office's text as posted, kept beside the errors
        sections = [
            {**section, "text": editing["texts"].get(section["key"], section["text"])} for section in sections
        ]
    return {
        "bulletin": bulletin,
        "doc": bulletin_render.page(bulletin),
        "may": may,
        "editor": {
            "title": editing["title"] if editing else bulletin.title,
            "sections": sections,
            "errors": editing["errors"] if editing else [],
        },
        "events": bulletin.events.select_related("actor__unit"),
        "issued": bulletin.status == BulletinStatus.ISSUED,
        "nav_section": "bulletins",
    }


@require_GET
@login_required
def bulletin_detail(request, pk):
    bulletin = _visible(request, pk)
    return render(request, "supervision/bulletin_detail.html", _detail_context(request, bulletin))


def _posted_sections(request, bulletin) -> tuple[list[dict], dict]:
    """The stored sections with the posted text of each (text-<key>); a section not posted keeps its text."""
    texts = {
        section["key"]: request.POST[f"text-{section['key']}"]
        for section in bulletin.sections or []
        if f"text-{section['key']}" in request.POST
    }
    sections = [
        {**section, "text": texts.get(section["key"], section["text"])} for section in bulletin.sections
    ]
    return sections, texts


def _edit(request, bulletin):
    sections, texts = _posted_sections(request, bulletin)
    title = request.POST.get("title")
    try:
        services.bulletin_edit(bulletin=bulletin, by=request.user, title=title, sections=sections)
    except InvalidTransition as error:  # issued or discarded: nothing to edit any more
        messages.error(request, " ".join(error.messages))
    except ValidationError as error:  # back to the editor with the text as written
        editing = {"title": title or "", "texts": texts, "errors": error.messages}
        context = _detail_context(request, bulletin, editing=editing)
        return render(request, "supervision/bulletin_detail.html", context, status=400)
    else:
        was_signed = bulletin.status == BulletinStatus.SIGNED
        messages.success(request, _("正文已保存,需领导重新签发。") if was_signed else _("正文已保存。"))
    return redirect("bulletin-detail", pk=bulletin.pk)


DONE = {
    "refresh": lambda: _("已按最新数据重新生成,正文已恢复为默认内容。"),
    "sign": lambda: _("已签发,督查室可以印发。"),
    "issue": lambda: _("已印发,滞后单位和督导组已收到通知。"),
    "discard": lambda: _("通报已作废。"),
}


@require_POST
@login_required
def bulletin_step(request, pk, step):
    bulletin = _visible(request, pk)
    if step == "edit":
        return _edit(request, bulletin)
    calls = {
        "refresh": lambda: services.bulletin_refresh(bulletin=bulletin, by=request.user),
        "sign": lambda: services.bulletin_sign(bulletin=bulletin, by=request.user),
        "issue": lambda: services.bulletin_issue(bulletin=bulletin, by=request.user),
        "discard": lambda: services.bulletin_discard(
            bulletin=bulletin, by=request.user, reason=request.POST.get("reason", "")
        ),
    }
    if step not in calls:
        raise PermissionDenied
    try:
        calls[step]()  # PermissionDenied (not the role for this step) is a 403
    except ValidationError as error:  # the status refuses it (InvalidTransition), or the data
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, DONE[step]())
    return redirect("bulletin-detail", pk=bulletin.pk)


# ---- Print page and downloads ---------------------------------------------------------------------------


@require_GET
@login_required
def bulletin_print(request, pk):
    bulletin = _visible(request, pk)
    return render(
        request,
        "supervision/bulletin_print.html",
        {
            "bulletin": bulletin,
            "doc": bulletin_render.page(bulletin),
            "back_url": reverse("bulletin-detail", args=[bulletin.pk]),
        },
    )


def _download(bulletin, suffix: str, content_type: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = attachment(
        bulletin_render.filename(bulletin, suffix), fallback=f"bulletin-{bulletin.pk}.{suffix}"
    )
    return response


def _document(request, pk, kind: str) -> HttpResponse:
    """Issued: the bytes stored at issue (what was sent). Before issue: rendered now, marked 草稿."""
    bulletin = bulletin_get_for(request.user, pk)
    content = bulletin_render.document(bulletin, kind)
    return _download(bulletin, kind, PDF_TYPE if kind == "pdf" else DOCX_TYPE, content)


@require_GET
@login_required
def bulletin_pdf(request, pk):
    return _document(request, pk, "pdf")


@require_GET
@login_required
def bulletin_docx(request, pk):
    return _document(request, pk, "docx")


@require_GET
@login_required
def bulletin_xlsx(request, pk):
    bulletin = _visible(request, pk)
    return _download(bulletin, "xlsx", XLSX_TYPE, bulletin_render.bulletin_xlsx(bulletin))


urlpatterns = [
    path("supervision/bulletins/", bulletin_list, name="bulletin-list"),
    path("supervision/bulletins/new/", bulletin_new, name="bulletin-new"),
    path("supervision/bulletins/<int:pk>/", bulletin_detail, name="bulletin-detail"),
    path("supervision/bulletins/<int:pk>/print/", bulletin_print, name="bulletin-print"),
    path("supervision/bulletins/<int:pk>/pdf/", bulletin_pdf, name="bulletin-pdf"),
    path("supervision/bulletins/<int:pk>/docx/", bulletin_docx, name="bulletin-docx"),
    path("supervision/bulletins/<int:pk>/xlsx/", bulletin_xlsx, name="bulletin-xlsx"),
    path("supervision/bulletins/<int:pk>/<slug:step>/", bulletin_step, name="bulletin-step"),
]
