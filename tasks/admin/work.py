"""Tasks, milestones, and what units report: the timeline is read-only."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import services
from ..forms import MilestoneInlineForm, TaskAdminForm, people_for, units_for
from ..models import (
    OPEN_STATUSES,
    Attachment,
    ExtensionRequest,
    Instruction,
    Milestone,
    ProgressReport,
    Role,
    Task,
    TaskEvent,
)
from ..selectors import access_for, campaigns_visible_to, special_actions_visible_to, tasks_visible_to
from .base import ReadOnlyAdmin, ServiceAdminMixin, ServiceInlineMixin, adopt, service_call

# ---- Tasks -----------------------------------------------------------------------------------


class MilestoneInline(ServiceInlineMixin, admin.TabularInline):
    """New rows → milestone_add; a date in 完成日期 on a saved row → milestone_complete."""

    model = Milestone
    form = MilestoneInlineForm
    allow_add = allow_change = True
    extra = 1
    fields = ["title", "due_date", "done_on", "completed_by"]
    readonly_fields = ["completed_by"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("completed_by__unit")


class TaskEventInline(ServiceInlineMixin, admin.TabularInline):
    """The task's timeline, oldest first, so the newest event is at the bottom."""

    model = TaskEvent
    extra = 0
    fields = ["at", "kind", "actor", "note", "before", "after"]
    readonly_fields = fields
    ordering = ["at", "id"]
    verbose_name_plural = _("任务动态(时间线)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor__unit")


class FlagFilter(admin.SimpleListFilter):
    title = _("预警")
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return [("overdue", _("逾期")), ("due_soon", _("临期")), ("behind", _("滞后"))]

    def queryset(self, request, queryset):
        if self.value() in ("overdue", "due_soon", "behind"):
            return queryset.filter(**{f"is_{self.value()}": True})
        return queryset


TASK_CONTENT_FIELDS = ("title", "description", "target", "priority")
TASK_READONLY_ON_CHANGE = [
    "campaign",
    "special_action",
    "parent",
    "code",
    "start_date",
    "deadline",
    "original_deadline",
    "status",
    "progress",
    "returned",
    "closed_at",
    "closed_late",
    "created_at",
    "updated_at",
]


@admin.register(Task)
class TaskAdmin(ServiceAdminMixin, admin.ModelAdmin):
    # Add → task_create. Change → task_update (what the task says) and task_assign (who is
    # responsible); dates and status move only through their own services (extensions,
    # the actions below, progress reports), so they are read-only here. A task that is
    # closed or cancelled is read-only as a whole.
    allow_add = allow_change = True
    form = TaskAdminForm
    inlines = [MilestoneInline, TaskEventInline]
    list_display = [
        "code",
        "title",
        "special_action",
        "lead_unit",
        "deadline",
        "progress_percent",
        "status",
        "overdue",
        "due_soon",
        "behind",
    ]
    list_display_links = ["code", "title"]
    list_filter = [
        FlagFilter,
        ("campaign", admin.RelatedOnlyFieldListFilter),
        ("special_action", admin.RelatedOnlyFieldListFilter),
        "status",
        "lead_unit__kind",
        "priority",
        "returned",
    ]
    search_fields = ["code", "title", "lead_unit__name", "lead_unit__full_name", "cooperations__unit__name"]
    list_select_related = ["special_action", "lead_unit"]
    date_hierarchy = "deadline"
    actions = ["close_tasks", "return_tasks", "cancel_tasks"]
    add_fieldsets = (
        (
            None,
            {"fields": ["campaign", "special_action", "parent", "code", "title", "description", "target"]},
        ),
        (_("责任"), {"fields": ["lead_unit", "cooperating", "responsible_leader", "priority"]}),
        (_("时限"), {"fields": ["start_date", "deadline"]}),
    )
    change_fieldsets = (
        (
            None,
            {"fields": ["campaign", "special_action", "parent", "code", "title", "description", "target"]},
        ),
        (_("责任"), {"fields": ["lead_unit", "cooperating", "responsible_leader", "priority"]}),
        (
            _("时限与状态"),
            {
                "fields": [
                    "start_date",
                    "deadline",
                    "original_deadline",
                    "status",
                    "progress",
                    "returned",
                    "closed_at",
                    "closed_late",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
    )

    def get_queryset(self, request):
        queryset = tasks_visible_to(request.user)
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def get_fieldsets(self, request, obj=None):
        return self.change_fieldsets if obj else self.add_fieldsets

    def get_inlines(self, request, obj):
        # A task being added has no timeline yet.
        return self.inlines if obj else [MilestoneInline]

    def get_readonly_fields(self, request, obj=None):
        return TASK_READONLY_ON_CHANGE if obj else []

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status not in OPEN_STATUSES:
            return False
        return super().has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        user = request.user
        if db_field.name == "campaign":
            kwargs["queryset"] = campaigns_visible_to(user)
        elif db_field.name == "special_action":
            kwargs["queryset"] = special_actions_visible_to(user)
        elif db_field.name == "parent":
            kwargs["queryset"] = Task.objects.filter(access_for(user).task_q())
        elif db_field.name == "lead_unit":
            kwargs["queryset"] = units_for(user)
        elif db_field.name == "responsible_leader":
            kwargs["queryset"] = people_for(user).filter(role=Role.LEADER)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # -- columns
    @admin.display(description=_("进度"), ordering="progress")
    def progress_percent(self, task):
        return f"{task.progress}%"

    @admin.display(description=_("逾期"), boolean=True, ordering="is_overdue")
    def overdue(self, task):
        return task.is_overdue

    @admin.display(description=_("临期"), boolean=True, ordering="is_due_soon")
    def due_soon(self, task):
        return task.is_due_soon

    @admin.display(description=_("滞后"), boolean=True, ordering="is_behind")
    def behind(self, task):
        return task.is_behind

    @admin.display(description=_("配合单位"))
    def cooperating(self, task):
        # Shown when the field is read-only (a closed task); the form field of the same name edits it.
        return "、".join(unit.name for unit in task.cooperating_units.order_by("path")) or "-"

    # -- writes
    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            with service_call(form):
                task = services.task_create(
                    campaign=data["campaign"],
                    special_action=data["special_action"],
                    parent=data.get("parent"),
                    code=data.get("code") or "",
                    title=data["title"],
                    description=data.get("description") or "",
                    target=data.get("target") or "",
                    lead_unit=data["lead_unit"],
                    cooperating_units=data.get("cooperating") or (),
                    responsible_leader=data.get("responsible_leader"),
                    priority=data["priority"],
                    start_date=data.get("start_date"),
                    deadline=data["deadline"],
                    by=request.user,
                )
            adopt(obj, task)
            return
        changed = set(form.changed_data)
        content = {name: data[name] for name in TASK_CONTENT_FIELDS if name in changed}
        assignment = {}
        if "lead_unit" in changed:
            assignment["lead_unit"] = data["lead_unit"]
        if "cooperating" in changed:
            assignment["cooperating_units"] = data["cooperating"]
        if "responsible_leader" in changed:
            assignment["responsible_leader"] = data["responsible_leader"]
        with service_call(form):
            if content:
                services.task_update(task=obj, by=request.user, **content)
            if assignment:
                services.task_assign(task=obj, by=request.user, **assignment)
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        if formset.model is not Milestone:
            return super().save_formset(request, form, formset, change)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for row in formset.forms:
            if not row.has_changed():
                continue
            data = row.cleaned_data
            with service_call(row):
                if row.instance.pk is None:
                    milestone = services.milestone_add(
                        task=formset.instance, by=request.user, title=data["title"], due_date=data["due_date"]
                    )
                    formset.new_objects.append(milestone)
                    if data.get("done_on"):
                        services.milestone_complete(
                            milestone=milestone, by=request.user, done_on=data["done_on"]
                        )
                elif "done_on" in row.changed_data and data.get("done_on"):
                    milestone = services.milestone_complete(
                        milestone=row.instance, by=request.user, done_on=data["done_on"]
                    )
                    formset.changed_objects.append((milestone, ["done_on"]))
        return None

    # -- status actions
    @admin.action(description=_("销号所选任务"), permissions=["office"])
    def close_tasks(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda task: services.task_close(task=task, by=request.user),
            gettext("已销号 %(count)d 项任务。"),
        )

    @admin.action(description=_("退回所选任务的销号申请"), permissions=["office"])
    def return_tasks(self, request, queryset):
        return self.reason_action(
            request,
            queryset,
            call=lambda task, reason: services.task_return(task=task, by=request.user, reason=reason),
            title=gettext("退回销号申请"),
            label=_("退回理由"),
            done_message=gettext("已退回 %(count)d 项任务。"),
        )

    @admin.action(description=_("撤销所选任务"), permissions=["office"])
    def cancel_tasks(self, request, queryset):
        return self.reason_action(
            request,
            queryset,
            call=lambda task, reason: services.task_cancel(task=task, by=request.user, reason=reason),
            title=gettext("撤销任务"),
            label=_("撤销理由"),
            done_message=gettext("已撤销 %(count)d 项任务。"),
        )


@admin.register(Milestone)
class MilestoneAdmin(ServiceAdminMixin, admin.ModelAdmin):
    # Milestones are added and edited on their task's page (MilestoneInline); here they are
    # listed, with one action: confirm done today (milestone_complete).
    list_display = ["title", "task", "due_date", "done_on", "completed_by"]
    list_filter = [("task__campaign", admin.RelatedOnlyFieldListFilter), "done_on", "due_date"]
    search_fields = ["title", "task__code", "task__title"]
    list_select_related = ["task", "completed_by__unit"]
    date_hierarchy = "due_date"
    actions = ["complete_today"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(access_for(request.user).task_q("task__"))

    @admin.action(description=_("确认所选节点今天完成"), permissions=["office"])
    def complete_today(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda milestone: services.milestone_complete(
                milestone=milestone, by=request.user, done_on=timezone.localdate()
            ),
            gettext("已确认 %(count)d 个节点完成。"),
        )


# ---- What units report, and the timeline: read-only --------------------------------------


class TaskScopedReadOnlyAdmin(ReadOnlyAdmin):
    def get_queryset(self, request):
        return super().get_queryset(request).filter(access_for(request.user).task_q("task__"))


@admin.register(ProgressReport)
class ProgressReportAdmin(TaskScopedReadOnlyAdmin):
    list_display = ["task", "unit", "percent", "submitted_by", "submitted_at"]
    list_filter = ["unit__kind", ("task__campaign", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["task__code", "task__title", "unit__name", "done", "problems"]
    list_select_related = ["task", "unit", "submitted_by__unit"]
    date_hierarchy = "submitted_at"


@admin.register(Attachment)
class AttachmentAdmin(TaskScopedReadOnlyAdmin):
    list_display = ["original_name", "task", "content_type", "size", "uploaded_by", "uploaded_at"]
    list_filter = ["content_type"]
    search_fields = ["original_name", "task__code", "task__title"]
    list_select_related = ["task", "uploaded_by__unit"]
    date_hierarchy = "uploaded_at"


@admin.register(Instruction)
class InstructionAdmin(TaskScopedReadOnlyAdmin):
    list_display = ["task", "leader", "short_text", "created_at"]
    search_fields = ["task__code", "task__title", "text", "leader__position"]
    list_select_related = ["task", "leader__unit"]
    date_hierarchy = "created_at"

    @admin.display(description=_("批示内容"))
    def short_text(self, instruction):
        return instruction.text[:40]


@admin.register(TaskEvent)
class TaskEventAdmin(TaskScopedReadOnlyAdmin):
    # The timeline is the record of who did what: no one changes or deletes an event, not
    # even a superuser, so the change page is refused outright (the list shows every field
    # worth reading) and has_change/has_delete ignore the user.
    list_display = ["at", "task", "kind", "actor", "note"]
    list_display_links = None
    list_filter = ["kind", ("task__campaign", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["task__code", "task__title", "note"]
    list_select_related = ["task", "actor__unit"]
    date_hierarchy = "at"

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        raise PermissionDenied


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(TaskScopedReadOnlyAdmin):
    # Requested by the lead unit elsewhere; decided here through extension_decide.
    list_display = [
        "task",
        "current_deadline",
        "new_deadline",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["status", ("task__campaign", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["task__code", "task__title", "reason"]
    list_select_related = ["task", "requested_by__unit", "decided_by__unit"]
    date_hierarchy = "requested_at"
    actions = ["approve", "reject"]

    @admin.action(description=_("批准所选延期申请"), permissions=["office"])
    def approve(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda extension: services.extension_decide(extension=extension, by=request.user, approve=True),
            gettext("已批准 %(count)d 条延期申请。"),
        )

    @admin.action(description=_("驳回所选延期申请(需填写理由)"), permissions=["office"])
    def reject(self, request, queryset):
        return self.reason_action(
            request,
            queryset,
            call=lambda extension, reason: services.extension_decide(
                extension=extension, by=request.user, approve=False, reason=reason
            ),
            title=gettext("驳回延期申请"),
            label=_("驳回理由"),
            done_message=gettext("已驳回 %(count)d 条延期申请。"),
        )
