"""导入清单: the office uploads a task list (.xlsx), sees the preview, and commits it.

The work is `tasks.imports`' (import_preview / import_commit / template_workbook); these views only
choose the campaign, hand over the file, and show the stored preview. The preview page renders the
batch's JSON, so it is a fixed number of queries whatever the number of rows.

The upload form posts with htmx (a progress bar for large files, static/js/import.js); without
JavaScript it posts normally. A refused file re-shows the form with the message (400) and nothing is
written; an accepted one goes to its preview page (a redirect, or `HX-Redirect` for htmx).
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from winteraction import xlsx
from winteraction.parsing import whole_number

from ..imports import ImportRefused, import_commit, import_preview, template_filename, template_workbook
from ..models import ImportStatus
from ..selectors import campaigns_visible_to, imports_visible_to
from .common import current_campaign
from .office import office_required

RECENT_BATCHES = 10

PAGE = "tasks/office_import.html"
FORM_PARTIAL = "tasks/partials/office_import_form.html"
DETAIL = "tasks/office_import_detail.html"

# The importable fields, in the file's column order, with the labels the preview shows for them.
FIELD_LABELS = {
    "code": gettext_lazy("编号"),
    "special_action": gettext_lazy("专项行动"),
    "title": gettext_lazy("任务"),
    "description": gettext_lazy("具体举措/内容"),
    "target": gettext_lazy("目标"),
    "lead_unit": gettext_lazy("牵头单位"),
    "cooperating_units": gettext_lazy("配合单位"),
    "responsible_leader": gettext_lazy("责任领导"),
    "start_date": gettext_lazy("开始日期"),
    "deadline": gettext_lazy("完成时限"),
    "milestones": gettext_lazy("节点/里程碑"),
}

ACTION_LABELS = {
    "create": gettext_lazy("新建"),
    "update": gettext_lazy("更新"),
    "unchanged": gettext_lazy("无变化"),
    "error": gettext_lazy("错误"),
}


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("任务清单文件(.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={
                "class": "form-control",
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "aria-describedby": "import-file-help",
            }
        ),
    )

    def add_refusal(self, error: ValidationError | PermissionDenied) -> None:
        """What the importer (or the permission check) refused, on the file field."""
        if isinstance(error, PermissionDenied):
            self.add_error("file", str(error) or _("你没有权限执行此操作。"))
        else:
            self.add_error("file", error.messages)
        widget = self.fields["file"].widget
        widget.attrs["class"] = f"{widget.attrs['class']} is-invalid"
        widget.attrs["aria-invalid"] = "true"


# ---- Helpers -----------------------------------------------------------------------------------------


def _int(value) -> int | None:
    return whole_number(value)


def _text(value) -> str:
    """One value of the preview's JSON as the page shows it."""
    if value in (None, "", []):
        return "—"
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):  # milestones
        return "\n".join(f"{item.get('due_date', '')} {item.get('title', '')}".strip() for item in value)
    if isinstance(value, list):
        return "、".join(str(item) for item in value)
    return str(value)


def _display_problems(preview: dict) -> list[dict]:
    """Each problem with its cell apart (the message starts with it: `D14: 未知单位…`)."""
    problems = []
    for problem in preview.get("problems", []):
        cell, message = problem.get("cell") or "", problem.get("message", "")
        text = message.removeprefix(f"{cell}:").removeprefix(f"{cell}：").strip() if cell else message
        problems.append({**problem, "text": text})
    return problems


def _display_rows(preview: dict) -> list[dict]:
    rows = []
    for row in preview.get("rows", []):
        changes = [
            {"label": FIELD_LABELS.get(field, field), "before": _text(values[0]), "after": _text(values[1])}
            for field, values in (row.get("changes") or {}).items()
            if isinstance(values, list | tuple) and len(values) == 2
        ]
        rows.append(
            {
                **row,
                "action_label": ACTION_LABELS.get(row.get("action"), row.get("action")),
                "cooperating_text": _text(row.get("cooperating_units")),
                "milestones_text": _text(row.get("milestones")),
                "change_list": changes,
                "problem_list": row.get("problems") or [],
            }
        )
    return rows


def task_list_url(campaign) -> str:
    return f"{reverse('task-list')}?{urlencode({'campaign': campaign.pk})}"


def xlsx_download(content: bytes, filename: str, fallback: str) -> HttpResponse:
    """An .xlsx attachment named in Chinese (RFC 6266 `filename*`), with an ASCII name for old clients."""
    response = HttpResponse(content, content_type=xlsx.XLSX_TYPE)
    response["Content-Disposition"] = xlsx.attachment(filename, fallback=fallback)
    return response


def _page(request, campaign, form, *, status=200):
    context = {
        "campaign": campaign,
        "form": form,
        "batches": imports_visible_to(request.user)
        .defer("content")
        .filter(campaign=campaign)
        .defer("preview")
        .order_by("-uploaded_at", "-id")[:RECENT_BATCHES]
        if campaign is not None
        else [],
        "nav_section": "office",
    }
    template = FORM_PARTIAL if getattr(request, "htmx", False) else PAGE
    return render(request, template, context, status=status)


# ---- Pages ---------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@office_required
def import_page(request):
    """The upload form, the template link, the instructions and the recent batches; POST uploads."""
    campaign = current_campaign(request)
    if request.method != "POST":
        return _page(request, campaign, ImportUploadForm())
    form = ImportUploadForm(request.POST, request.FILES)
    if request.POST.get("campaign"):
        # The form on a preview page names its batch's campaign: the fixed file goes where the first went.
        campaign = get_object_or_404(campaigns_visible_to(request.user), pk=_int(request.POST["campaign"]))
    if campaign is None:
        form.is_valid()
        form.add_error(None, _("没有可用的冬季行动。"))
    elif form.is_valid():
        try:
            batch = import_preview(campaign=campaign, file=form.cleaned_data["file"], by=request.user)
        except (ImportRefused, ValidationError, PermissionDenied) as error:
            form.add_refusal(error)
        else:
            url = reverse("office-import-detail", args=[batch.pk])
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(url)
            return redirect(url)
    return _page(request, campaign, form, status=400)


@require_http_methods(["GET"])
@office_required
def import_detail(request, pk):
    """The preview of one uploaded file: counts, problems first, then every row."""
    batch = get_object_or_404(imports_visible_to(request.user).defer("content"), pk=pk)
    preview = batch.preview or {}
    context = {
        "batch": batch,
        "campaign": batch.campaign,
        "preview": preview,
        "counts": {
            "rows": 0,
            "create": 0,
            "update": 0,
            "unchanged": 0,
            "error": 0,
            **preview.get("counts", {}),
        },
        "problems": _display_problems(preview),
        "rows": _display_rows(preview),
        "committed": batch.status == ImportStatus.COMMITTED,
        "can_commit": batch.can_commit,
        "form": ImportUploadForm(),
        "task_list_url": task_list_url(batch.campaign),
        "nav_section": "office",
    }
    return render(request, DETAIL, context)


@require_POST
@office_required
def import_commit_view(request, pk):
    """Write the previewed batch through the services (one transaction), or say why not."""
    batch = get_object_or_404(imports_visible_to(request.user).defer("content"), pk=pk)
    try:
        batch = import_commit(batch=batch, by=request.user)
    except (ValidationError, PermissionDenied) as error:
        message = str(error) if isinstance(error, PermissionDenied) else " ".join(error.messages)
        messages.error(request, message or _("这个文件不能导入。"))
    else:
        counts = {
            "create": 0,
            "update": 0,
            "unchanged": 0,
            **(batch.counts or batch.preview.get("counts", {})),
        }
        messages.success(
            request,
            _("导入完成:新建 %(create)s 项,更新 %(update)s 项,无变化 %(unchanged)s 项。")
            % {"create": counts["create"], "update": counts["update"], "unchanged": counts["unchanged"]},
        )
    return redirect("office-import-detail", pk=batch.pk)


@require_http_methods(["GET"])
@office_required
def import_template(request):
    """The blank task list of the current campaign, with drop-downs for units, actions and leaders."""
    campaign = current_campaign(request)
    if campaign is None:
        raise Http404(_("没有可用的冬季行动。"))
    content = template_workbook(campaign=campaign, by=request.user)
    return xlsx_download(content, template_filename(campaign), "template.xlsx")


urlpatterns = [
    path("office/import/", import_page, name="office-import"),
    path("office/import/template.xlsx", import_template, name="office-import-template"),
    path("office/import/<int:pk>/", import_detail, name="office-import-detail"),
    path("office/import/<int:pk>/commit/", import_commit_view, name="office-import-commit"),
]
