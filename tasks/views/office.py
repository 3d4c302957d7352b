"""The supervision office's back office inside the app: special actions, tasks and milestones.

Only the office (of its region) and superusers reach these pages; everyone else gets 403.
Every write goes through `tasks.services`; a service's refusal is shown on the form and
changes nothing (the view's transaction is rolled back with it).
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import services
from ..models import OPEN_STATUSES, Role, SpecialAction
from ..office_forms import (
    MilestoneForm,
    SpecialActionForm,
    TaskCreateForm,
    TaskEditForm,
    office_special_actions,
    office_tasks,
)
from .common import current_campaign


def office_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not (user.is_superuser or (user.role == Role.OFFICE and user.unit_id is not None)):
            raise PermissionDenied(_("只有督查室可以使用此功能。"))
        return view(request, *args, **kwargs)

    return wrapper


def task_url(task) -> str:
    # The task page belongs to the task-page work; until its url exists, its path is known.
    try:
        return reverse("task-detail", args=[task.pk])
    except NoReverseMatch:
        return f"/tasks/{task.pk}/"


# ---- Overview -----------------------------------------------------------------------------------


@office_required
def office_home(request):
    campaign = current_campaign(request)
    special_actions, recent = [], []
    if campaign is not None:
        special_actions = (
            SpecialAction.objects.filter(campaign=campaign)
            .select_related("lead_unit", "lead_leader__unit")
            .annotate(
                task_count=Count("tasks", distinct=True),
                open_count=Count("tasks", filter=Q(tasks__status__in=OPEN_STATUSES), distinct=True),
            )
            .order_by("sort_order", "id")
        )
        recent = (
            office_tasks(request.user)
            .filter(campaign=campaign)
            .select_related("lead_unit", "special_action")
            .order_by("-created_at", "-id")[:20]
        )
    context = {"campaign": campaign, "special_actions": special_actions, "recent_tasks": recent}
    return render(request, "tasks/office_home.html", {**context, "nav_section": "office"})


# ---- Special actions ------------------------------------------------------------------------------


@office_required
def special_action_create(request):
    campaign = current_campaign(request)
    if campaign is None:
        messages.error(request, _("没有可用的冬季行动。"))
        return redirect("office")
    form = SpecialActionForm(request.POST or None, user=request.user, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            services.special_action_create(campaign=campaign, by=request.user, **form.service_kwargs())
        except (ValidationError, PermissionDenied) as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("专项行动已设立。"))
            return redirect("office")
    return render(
        request,
        "tasks/office_special_action_form.html",
        {"form": form, "campaign": campaign, "special_action": None},
        status=400 if form.errors else 200,
    )


@office_required
def special_action_edit(request, pk):
    special_action = get_object_or_404(
        office_special_actions(request.user).select_related("campaign__owner"), pk=pk
    )
    campaign = special_action.campaign
    if request.method == "POST":
        form = SpecialActionForm(request.POST, user=request.user, campaign=campaign)
    else:
        form = SpecialActionForm(
            user=request.user,
            campaign=campaign,
            initial={
                "name": special_action.name,
                "code": special_action.code,
                "lead_unit": special_action.lead_unit_id,
                "lead_leader": special_action.lead_leader_id,
                "task_force": list(special_action.task_force.values_list("pk", flat=True)),
                "sort_order": special_action.sort_order,
            },
        )
    if request.method == "POST" and form.is_valid():
        try:
            services.special_action_update(
                special_action=special_action, by=request.user, **form.service_kwargs()
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("专项行动已保存。"))
            return redirect("office")
    return render(
        request,
        "tasks/office_special_action_form.html",
        {"form": form, "campaign": campaign, "special_action": special_action},
        status=400 if form.errors else 200,
    )


# ---- Tasks -------------------------------------------------------------------------------------------


@office_required
def task_create(request):
    campaign = current_campaign(request)
    form = TaskCreateForm(request.POST or None, user=request.user, campaign=campaign)
    if request.method == "POST" and campaign is None:
        form.is_valid()
        form.add_error(None, _("没有可用的冬季行动。"))
    elif request.method == "POST" and form.is_valid():
        try:
            task = services.task_create(campaign=campaign, by=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("任务 %(code)s 已下达。") % {"code": task.code})
            return redirect(task_url(task))
    return render(
        request,
        "tasks/office_task_form.html",
        {"form": form, "campaign": campaign, "nav_section": "office"},
        status=400 if form.errors else 200,
    )


def _editable_task(request, pk):
    return get_object_or_404(
        office_tasks(request.user).select_related("campaign__owner", "lead_unit", "special_action"), pk=pk
    )


def _edit_page(request, task, form, milestone_form, status=200):
    context = {
        "task": task,
        "form": form,
        "milestone_form": milestone_form,
        "milestones": task.milestones.all(),
        "task_url": task_url(task),
        "is_open": task.status in OPEN_STATUSES,
        "nav_section": "office",
    }
    return render(request, "tasks/office_task_edit.html", context, status=status)


@office_required
def task_edit(request, pk):
    task = _editable_task(request, pk)
    if request.method != "POST":
        return _edit_page(request, task, TaskEditForm(user=request.user, task=task), MilestoneForm())
    form = TaskEditForm(request.POST, user=request.user, task=task)
    if form.is_valid():
        data = form.cleaned_data
        try:
            # One transaction: if the reassignment is refused, the text edits are undone too.
            with transaction.atomic():
                services.task_update(
                    task=task,
                    by=request.user,
                    title=data["title"],
                    description=data["description"],
                    target=data["target"],
                    priority=data["priority"],
                )
                services.task_assign(
                    task=task,
                    by=request.user,
                    lead_unit=data["lead_unit"],
                    cooperating_units=data["cooperating_units"],
                    responsible_leader=data["responsible_leader"],
                    note=data["note"],
                )
        except (ValidationError, PermissionDenied) as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("任务已保存。"))
            return redirect("office-task-edit", pk=task.pk)
    return _edit_page(request, task, form, MilestoneForm(), status=400)


@require_POST
@office_required
def milestone_add(request, pk):
    task = _editable_task(request, pk)
    form = MilestoneForm(request.POST)
    if form.is_valid():
        try:
            services.milestone_add(task=task, by=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("节点已添加。"))
            return redirect("office-task-edit", pk=task.pk)
    return _edit_page(request, task, TaskEditForm(user=request.user, task=task), form, status=400)


urlpatterns = [
    path("office/", office_home, name="office"),
    path("office/special-actions/new/", special_action_create, name="office-special-action-create"),
    path("office/special-actions/<int:pk>/edit/", special_action_edit, name="office-special-action-edit"),
    path("office/tasks/new/", task_create, name="office-task-create"),
    path("office/tasks/<int:pk>/edit/", task_edit, name="office-task-edit"),
    path("office/tasks/<int:pk>/milestones/", milestone_add, name="office-milestone-add"),
]
