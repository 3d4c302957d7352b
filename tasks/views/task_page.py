"""The task page (任务详情) and its actions, and the evidence downloads.

Every action is a plain POST form that calls one service. Without JavaScript it redirects
back to the task page with a message; with htmx it answers the task page's body partial,
which the form swaps in place. A service's refusal comes back as:
ValidationError → errors on the form, InvalidTransition → a message, PermissionDenied → 403.

Buttons are shown from `tasks.permissions.TaskPermissions`: the predicates the services call
before they raise, so a user never sees a button the service would refuse.

Other apps add steps to the page through tasks/seams.py (`task_page_actions`, see `PageAction`): supervision's
催办 button is one. This module never imports them; they import it.
"""

from dataclasses import dataclass, field, fields

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import evidence, seams, services
from ..models import (
    Attachment,
    EventKind,
    ExtensionStatus,
    Milestone,
    Task,
    TaskCooperation,
)
from ..page_forms import (
    ExtensionDecideForm,
    ExtensionRequestForm,
    InstructionForm,
    MilestoneCompleteForm,
    NoteForm,
    ProgressReportForm,
    ReasonForm,
)
from ..permissions import TaskPermissions, cooperating_unit_ids
from ..selectors import latest_reports_by_unit, task_get_for, task_rows_visible_to
from ..services import InvalidTransition

BODY = "tasks/partials/task_body.html"

# ---- Who may do what -------------------------------------------------------------------------


def _permissions(request, task, cooperating_ids=None, pending=None) -> TaskPermissions:
    if cooperating_ids is None:
        cooperating_ids = cooperating_unit_ids(task)
    return TaskPermissions(request.user, task, cooperating_ids, pending)


def _unit_reports(task: Task, cooperations, latest: dict) -> list[dict]:
    """One row per unit on the task, the lead unit first: its latest report (None: never reported)."""
    rows = [{"unit": task.lead_unit, "lead": True, "report": latest.get(task.lead_unit_id)}]
    rows += [{"unit": c.unit, "lead": False, "report": latest.get(c.unit_id)} for c in cooperations]
    return rows


def _mark_cooperating_reports(task: Task, events, cooperations) -> None:
    """A progress report by a unit other than the lead is a 配合 report: the timeline says so."""
    names = {c.unit_id: c.unit.name for c in cooperations}
    for event in events:
        if event.kind != EventKind.PROGRESS_REPORTED:
            continue
        unit_id = (event.after or {}).get("unit_id")
        event.cooperating_unit = None
        if unit_id is not None and unit_id != task.lead_unit_id:
            event.cooperating_unit = names.get(unit_id, "")


# ---- The page -----------------------------------------------------------------------------------


@dataclass
class Forms:
    """The page's action forms; a failed submission puts its bound form in its slot."""

    report: ProgressReportForm | None = None
    request_close: NoteForm | None = None
    extension: ExtensionRequestForm | None = None
    decide: ExtensionDecideForm | None = None
    close: NoteForm | None = None
    return_: ReasonForm | None = None
    cancel: ReasonForm | None = None
    instruction: InstructionForm | None = None
    milestone: MilestoneCompleteForm | None = None
    milestone_pk: int | None = None
    extra: dict = field(default_factory=dict)  # another app's step (PageAction) by name


def _extra_actions(request, task: Task, forms: Forms, open_form: str) -> list[dict]:
    """The registered steps this user is offered on this task (no query: pure predicates)."""
    return [
        {
            "template": action.template,
            "url": reverse(action.url_name, args=[task.pk]),
            "form": forms.extra.get(name),
            "open": open_form == name,
        }
        for name, action in seams.task_page_actions.items()
        if action.can(request.user, task)
    ]


def _close_out_warnings(request, task: Task, milestones: list[Milestone]) -> list[seams.CloseOutWarning]:
    """What is still open on the task, listed on the 申请销号 form: its milestones not done (no query:
    the page has them), then what other apps register (supervision: open 督办单, one query). A warning
    only: the unit may still ask, the office decides (docs/domain-model.md)."""
    warnings = [
        seams.CloseOutWarning(
            text=_("节点“%(title)s”(时限 %(due)s)未完成") % {"title": m.title, "due": m.due_date}
        )
        for m in milestones
        if m.done_on is None
    ]
    for source in seams.close_out_warnings:
        warnings += source(request.user, task)
    return warnings


def _context(request, task: Task, forms: Forms | None = None, open_form: str = "") -> dict:
    """Everything the page shows, in a fixed number of queries whatever the task's history."""
    forms = forms or Forms()
    cooperations = list(
        TaskCooperation.objects.filter(task=task).select_related("unit").order_by("unit__path")
    )
    milestones = list(Milestone.objects.filter(task=task).select_related("completed_by__unit"))
    attachments = list(Attachment.objects.filter(task=task).select_related("uploaded_by__unit"))
    events = list(task.events.select_related("actor__unit").order_by("-at", "-id"))  # newest first
    pending = (
        task.extension_requests.filter(status=ExtensionStatus.PENDING)
        .select_related("requested_by__unit")
        .first()
    )
    latest = latest_reports_by_unit(task)
    _mark_cooperating_reports(task, events, cooperations)
    can = _permissions(request, task, {c.unit_id for c in cooperations}, pending)
    if can.can_report and forms.report is None:
        forms.report = ProgressReportForm()
    defaults = {
        "request_close": NoteForm,
        "extension": ExtensionRequestForm,
        "decide": ExtensionDecideForm,
        "close": NoteForm,
        "return_": ReasonForm,
        "cancel": ReasonForm,
        "instruction": InstructionForm,
        "milestone": MilestoneCompleteForm,
    }
    for name, form_class in defaults.items():
        if getattr(forms, name) is None:
            setattr(forms, name, form_class(prefix=name.strip("_")))
    return {
        "task": task,
        "close_out_warnings": _close_out_warnings(request, task, milestones) if can.can_request_close else [],
        "today": timezone.localdate(),
        "cooperations": cooperations,
        "unit_reports": _unit_reports(task, cooperations, latest),
        "milestones": milestones,
        "attachments": attachments,
        "events": events,
        "pending_extension": pending,
        "can": can,
        "extra_actions": _extra_actions(request, task, forms, open_form),
        "forms": forms,
        "open_form": open_form,
        "nav_section": "tasks",
    }


@require_GET
@login_required
def task_detail(request, pk):
    task = task_get_for(request.user, pk)
    return _render(request, task)


def _render(request, task, forms=None, open_form="", status=200):
    context = _context(request, task, forms, open_form)
    template = BODY if getattr(request, "htmx", False) else "tasks/task_detail.html"
    return render(request, template, context, status=status)


def _done(request, task, message: str):
    """After a successful action: back to the page (PRG), or the fresh body for htmx."""
    messages.success(request, message)
    if getattr(request, "htmx", False):
        return _render(request, task_get_for(request.user, task.pk))
    return redirect("task-detail", pk=task.pk)


def _refused(request, task, exc: InvalidTransition):
    messages.error(request, " ".join(exc.messages))
    if getattr(request, "htmx", False):
        return _render(request, task_get_for(request.user, task.pk))
    return redirect("task-detail", pk=task.pk)


def _add_errors(form, exc: ValidationError) -> None:
    """A service's ValidationError onto the form: its fields where the form has them, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def answer_action(request, task, form, slot: str, perform, success: str, *, milestone_pk=None):
    """Validate the form, call the service, and answer as the module docstring says. `slot` is a
    field of `Forms`, or the name of a registered PageAction."""
    if form.is_valid():
        try:
            perform(form.cleaned_data)
        except InvalidTransition as exc:
            return _refused(request, task, exc)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return _done(request, task, success)
    if slot in {f.name for f in fields(Forms)}:
        forms = Forms(**{slot: form}, milestone_pk=milestone_pk)
    else:
        forms = Forms(extra={slot: form})
    return _render(request, task, forms, slot.strip("_"))


def _refuse() -> None:
    raise PermissionDenied(_("你没有权限执行这个操作。"))


def _task_for_action(request, pk, may: str) -> tuple[Task, TaskPermissions]:
    """The task (404 outside my scope) and my permissions; a POST from someone not allowed is a 403."""
    task = task_get_for(request.user, pk)
    can = _permissions(request, task)
    if not getattr(can, f"may_{may}"):
        _refuse()
    return task, can


def page_action_task(request, pk, name: str) -> Task:
    """For a registered PageAction's POST: the task (404 outside my scope), or 403 unless `may`."""
    task = task_get_for(request.user, pk)
    if not seams.task_page_actions[name].may(request.user, task):
        _refuse()
    return task


# ---- Progress reports -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def task_report(request, pk):
    """进度填报: inline on the task page (htmx), or this page on its own without JavaScript."""
    task, _can = _task_for_action(request, pk, "report")
    if request.method == "GET":
        form = ProgressReportForm()
        return render(request, "tasks/progress_report.html", _report_context(task, form))
    form = ProgressReportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            with transaction.atomic():
                key = form.cleaned_data["submission_key"]
                if key and not services.submission_claim(
                    user=request.user, key=key, action=f"task-report:{task.pk}"
                ):
                    # The same form sent again: the first submission's result, no second report.
                    return _done(request, task, _("这份填报已经提交过,没有重复提交。"))
                services.progress_report(task=task, by=request.user, **form.service_arguments())
        except InvalidTransition as exc:
            return _refused(request, task, exc)
        except ValidationError as exc:
            _add_errors(form, exc)
            form.hint_reselect()
        else:
            return _done(request, task, _("进度已填报。"))
    if getattr(request, "htmx", False):
        return _render(request, task, Forms(report=form), "report")
    return render(request, "tasks/progress_report.html", _report_context(task, form))


def _report_context(task, form):
    return {"task": task, "form": form, "nav_section": "tasks"}


# ---- Milestones, close-out, extensions, instructions ------------------------------------------------


@require_POST
@login_required
def milestone_complete(request, pk, milestone_pk):
    task, _can = _task_for_action(request, pk, "milestone")
    milestone = get_object_or_404(Milestone, pk=milestone_pk, task=task)
    form = MilestoneCompleteForm(request.POST, prefix="milestone")

    def perform(data):
        services.milestone_complete(milestone=milestone, by=request.user, done_on=data.get("done_on"))

    return answer_action(
        request,
        task,
        form,
        "milestone",
        perform,
        _("节点“%(title)s”已完成。") % {"title": milestone.title},
        milestone_pk=milestone.pk,
    )


@require_POST
@login_required
def task_request_close(request, pk):
    task, _can = _task_for_action(request, pk, "request_close")
    form = NoteForm(request.POST, prefix="request_close")
    return answer_action(
        request,
        task,
        form,
        "request_close",
        lambda data: services.task_request_close(task=task, by=request.user, note=data.get("note", "")),
        _("已申请销号,等待督查室审核。"),
    )


@require_POST
@login_required
def task_close(request, pk):
    task, _can = _task_for_action(request, pk, "close")
    form = NoteForm(request.POST, prefix="close")
    return answer_action(
        request,
        task,
        form,
        "close",
        lambda data: services.task_close(task=task, by=request.user, note=data.get("note", "")),
        _("任务已销号。"),
    )


@require_POST
@login_required
def task_return(request, pk):
    task, _can = _task_for_action(request, pk, "return")
    form = ReasonForm(request.POST, prefix="return")
    return answer_action(
        request,
        task,
        form,
        "return_",
        lambda data: services.task_return(task=task, by=request.user, reason=data.get("reason", "")),
        _("已退回销号申请。"),
    )


@require_POST
@login_required
def task_cancel(request, pk):
    task, _can = _task_for_action(request, pk, "cancel")
    form = ReasonForm(request.POST, prefix="cancel")
    return answer_action(
        request,
        task,
        form,
        "cancel",
        lambda data: services.task_cancel(task=task, by=request.user, reason=data.get("reason", "")),
        _("任务已撤销。"),
    )


@require_POST
@login_required
def extension_request(request, pk):
    task, _can = _task_for_action(request, pk, "extend")
    form = ExtensionRequestForm(request.POST, prefix="extension")
    return answer_action(
        request,
        task,
        form,
        "extension",
        lambda data: services.extension_request(
            task=task, by=request.user, new_deadline=data["new_deadline"], reason=data.get("reason", "")
        ),
        _("延期申请已提交,等待督查室审批。"),
    )


@require_POST
@login_required
def extension_decide(request, pk, extension_pk):
    task, _can = _task_for_action(request, pk, "decide")
    extension = get_object_or_404(task.extension_requests, pk=extension_pk)
    form = ExtensionDecideForm(request.POST, prefix="decide")
    approve = request.POST.get("decide-decision") == "approve"  # only the message; the form validates it
    return answer_action(
        request,
        task,
        form,
        "decide",
        lambda data: services.extension_decide(
            extension=extension, by=request.user, approve=data["decision"] == "approve", reason=data["reason"]
        ),
        _("已批准延期。") if approve else _("已驳回延期申请。"),
    )


@require_POST
@login_required
def instruction_write(request, pk):
    task, _can = _task_for_action(request, pk, "instruct")
    form = InstructionForm(request.POST, prefix="instruction")
    return answer_action(
        request,
        task,
        form,
        "instruction",
        lambda data: services.instruction_write(task=task, by=request.user, text=data.get("text", "")),
        _("批示已发出。"),
    )


# ---- Evidence downloads ---------------------------------------------------------------------------------


def _serve(request, pk, which: str):
    """A stored file, to those who may see its task (404 otherwise, as for one that does not exist)."""
    attachment = task_rows_visible_to(request.user, Attachment).filter(pk=pk).first()
    if attachment is None:
        raise Http404
    return evidence.serve(attachment, which)


@require_GET
@login_required
def attachment_download(request, pk):
    return _serve(request, pk, "file")


@require_GET
@login_required
def attachment_thumbnail(request, pk):
    return _serve(request, pk, "thumbnail")


@require_GET
@login_required
def attachment_web(request, pk):
    return _serve(request, pk, "web_copy")


urlpatterns = [
    path("tasks/<int:pk>/", task_detail, name="task-detail"),
    path("tasks/<int:pk>/report/", task_report, name="task-report"),
    path(
        "tasks/<int:pk>/milestones/<int:milestone_pk>/complete/",
        milestone_complete,
        name="task-milestone-complete",
    ),
    path("tasks/<int:pk>/request-close/", task_request_close, name="task-request-close"),
    path("tasks/<int:pk>/close/", task_close, name="task-close"),
    path("tasks/<int:pk>/return/", task_return, name="task-return"),
    path("tasks/<int:pk>/cancel/", task_cancel, name="task-cancel"),
    path("tasks/<int:pk>/extension/", extension_request, name="task-extension-request"),
    path(
        "tasks/<int:pk>/extension/<int:extension_pk>/decide/",
        extension_decide,
        name="task-extension-decide",
    ),
    path("tasks/<int:pk>/instructions/", instruction_write, name="task-instruction"),
    path("attachments/<int:pk>/download/", attachment_download, name="attachment-download"),
    path("attachments/<int:pk>/thumbnail/", attachment_thumbnail, name="attachment-thumbnail"),
    path("attachments/<int:pk>/web/", attachment_web, name="attachment-web"),
]
