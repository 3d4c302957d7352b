"""Admin for the supervision office (督查室).

Who may use it. The office's people are `is_staff` (person_create makes every office
user staff) but hold no Django model permissions, and no data migration hands them
any. Permissions are granted by role instead, in `ServiceAdminMixin`: a superuser or
an active staff user with the office role may view every model and add or change
what a service can write; any other staff user falls back to Django's model
permissions. Nobody, superusers included, gets more than the services allow: each
admin declares `allow_add` / `allow_change`, deletes are off everywhere (people are
deactivated instead) and a task event can never be changed or deleted. What rows a
user sees is scoped by `tasks.selectors` (a superuser sees all), and the services
check again who may act.

How writes go. Every add, change, inline row and action calls a service, so each
change lands on the task's timeline. `save_model`, `save_related`, `save_formset` and
`delete_model` are overridden by the mixin to refuse a plain write; an admin opts in
by calling the service itself.

How service errors reach the user: see `ServiceAdminMixin._changeform_view`.
"""

from contextlib import contextmanager

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import router, transaction
from django.db.models import Q
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import services
from .forms import MilestoneInlineForm, PersonCreationForm, ReasonForm, TaskAdminForm, people_for, units_for
from .models import (
    OPEN_STATUSES,
    REGION_KINDS,
    Attachment,
    Campaign,
    ExtensionRequest,
    Instruction,
    LeaderCharge,
    Milestone,
    Person,
    ProgressReport,
    Role,
    SpecialAction,
    Task,
    TaskEvent,
    Unit,
)
from .selectors import access_for, campaigns_visible_to, special_actions_visible_to, tasks_visible_to

# ---- Service errors --------------------------------------------------------------------------

# InvalidTransition is a ValidationError.
SERVICE_ERRORS = (ValidationError, PermissionDenied)
_REJECTED = "_winteraction_admin_rejected"


class ServiceRejected(Exception):
    """A service refused an admin write; `target` is the prefix of the form it belongs to (None: the main form)."""

    def __init__(self, error, target=None):
        super().__init__(error)
        self.error = error
        self.target = target


@contextmanager
def service_call(form):
    """Run a service for `form`; a refusal becomes `ServiceRejected` pointing back at that form."""
    try:
        yield
    except SERVICE_ERRORS as exc:
        raise ServiceRejected(exc, target=form.prefix) from exc


def error_text(exc) -> str:
    if isinstance(exc, PermissionDenied):
        return str(exc) or gettext("您没有执行此操作的权限。")
    return ";".join(exc.messages)


def add_service_error(form, exc) -> None:
    """Put a service's error on the form: on its field when the form shows it, else at the top, labelled."""
    if isinstance(exc, PermissionDenied) or not hasattr(exc, "error_dict"):
        form.add_error(None, error_text(exc))
        return
    aliases = getattr(form, "service_field_aliases", {})
    for name, errors in exc.error_dict.items():
        name = aliases.get(name, name)
        if name in form.fields and not form.fields[name].disabled:
            form.add_error(name, errors)
            continue
        try:
            label = form._meta.model._meta.get_field(name).verbose_name
        except (AttributeError, FieldDoesNotExist):
            label = ""
        for error in errors:
            for message in error.messages:
                form.add_error(None, f"{label}:{message}" if label else message)


def _form_with_service_error(form_class, rejected: ServiceRejected):
    """`form_class`, whose instance with the rejected form's prefix shows the service's error once validated."""

    class RejectedForm(form_class):
        def full_clean(self):
            super().full_clean()
            if self.is_bound and self.prefix == rejected.target:
                add_service_error(self, rejected.error)

    RejectedForm.__name__ = RejectedForm.__qualname__ = form_class.__name__
    return RejectedForm


def adopt(target, source) -> None:
    """Make the admin's instance the row a service wrote (response_add, inlines and the log use it)."""
    target.__dict__.update(source.__dict__)


# ---- Scope helpers ---------------------------------------------------------------------------


def is_office(user) -> bool:
    return bool(user.is_active and (user.is_superuser or (user.is_staff and user.role == Role.OFFICE)))


def unit_q(user, prefix: str = "") -> Q:
    """Rows whose unit at `prefix` lies in the user's region."""
    access = access_for(user)
    if access.everything:
        return Q()
    if access.region is None:
        return Q(pk__in=[])
    return Q(**{f"{prefix}path__startswith": access.region.path})


# ---- The mixins ------------------------------------------------------------------------------


class ServiceAdminMixin:
    """Role-based permissions, writes only through services, and service errors shown on the form.

    Why `_changeform_view` is wrapped. Django's admin validates the form and the inline
    formsets, then calls `save_model` / `save_related`; by then the page can no longer
    show a form error, and an exception becomes a 500 (or a bare 403 for
    PermissionDenied). Much of what a service refuses cannot be known by the form
    alone (the office's region, the task's status under a row lock, the next code),
    and duplicating those rules in forms would let them drift. So the service is
    called where Django saves, inside `service_call`, which turns its refusal into
    `ServiceRejected`. The wrapper runs the admin view inside a savepoint; on
    `ServiceRejected` everything the request wrote is rolled back (a task created
    before its milestone was refused included) and the view runs once more on the
    same POST, with the refusal attached to the form (or inline row) it belongs to,
    so the page comes back with the error in the user's language and nothing saved.
    One mechanism serves every admin here, including the inlines.
    """

    allow_add = False  # a service creates this model
    allow_change = False  # some fields of a saved row change through a service (or plainly, where said)

    # -- permissions
    def has_module_permission(self, request):
        return is_office(request.user) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return is_office(request.user) or super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return self.allow_add and (is_office(request.user) or super().has_add_permission(request))

    def has_change_permission(self, request, obj=None):
        return self.allow_change and (is_office(request.user) or super().has_change_permission(request, obj))

    def has_delete_permission(self, request, obj=None):
        return False

    def has_office_permission(self, request):
        """For actions that change status (`allowed_permissions = ("office",)`)."""
        return is_office(request.user)

    # -- the form round trip
    def _changeform_view(self, request, object_id, form_url, extra_context):
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return super()._changeform_view(request, object_id, form_url, extra_context)
        except ServiceRejected as rejected:
            setattr(request, _REJECTED, rejected)
        return super()._changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        # Forms that offer choices read the user from here.
        form_class = type(form_class.__name__, (form_class,), {"request": request})
        rejected = getattr(request, _REJECTED, None)
        if rejected is not None and rejected.target is None:
            form_class = _form_with_service_error(form_class, rejected)
        return form_class

    # -- writes: refused unless the admin calls a service
    def save_model(self, request, obj, form, change):
        raise ImproperlyConfigured(f"{type(self).__name__} must save through a service.")

    def save_related(self, request, form, formsets, change):
        # No form.save_m2m(): many-to-many fields are written by the services.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        if any(f.has_changed() for f in formset.forms):
            raise ImproperlyConfigured(
                f"{type(self).__name__} must save {formset.model.__name__} through a service."
            )
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def delete_model(self, request, obj):
        raise PermissionDenied

    def delete_queryset(self, request, queryset):
        raise PermissionDenied

    # -- actions
    def run_each(self, request, queryset, call, done_message) -> int:
        """Call a service per row; a refusal is one error message naming the row, never a 500."""
        done = 0
        for obj in queryset:
            try:
                call(obj)
            except SERVICE_ERRORS as exc:
                self.message_user(request, f"{obj}:{error_text(exc)}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, done_message % {"count": done}, messages.SUCCESS)
        return done

    def reason_action(self, request, queryset, *, call, title, done_message, label=None, required=True):
        """An action that first asks for a reason on an intermediate page, then runs `call(obj, reason)`."""
        if "apply" in request.POST:
            form = ReasonForm(request.POST, required=required, label=label)
            if form.is_valid():
                reason = form.cleaned_data["reason"]
                self.run_each(request, queryset, lambda obj: call(obj, reason), done_message)
                return None
        else:
            form = ReasonForm(required=required, label=label)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "queryset": queryset,
            "form": form,
            "action": request.POST.get("action", ""),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "select_across": request.POST.get("select_across", "0"),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/tasks/action_reason.html", context)


class ServiceInlineMixin:
    """The inline side of `ServiceAdminMixin`: role permissions and the rejected row's error."""

    allow_add = False
    allow_change = False

    def has_view_permission(self, request, obj=None):
        return is_office(request.user) or super().has_view_permission(request, obj)

    def has_add_permission(self, request, obj):
        return self.allow_add and (is_office(request.user) or super().has_add_permission(request, obj))

    def has_change_permission(self, request, obj=None):
        return self.allow_change and (is_office(request.user) or super().has_change_permission(request, obj))

    def has_delete_permission(self, request, obj=None):
        return False

    def get_formset(self, request, obj=None, **kwargs):
        rejected = getattr(request, _REJECTED, None)
        if rejected is not None and rejected.target is not None:
            kwargs["form"] = _form_with_service_error(kwargs.get("form", self.form), rejected)
        return super().get_formset(request, obj, **kwargs)


class ReadOnlyAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Rows only a service writes, from elsewhere in the app (reports, uploads, instructions)."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.opts.fields]


# ---- Units and people ------------------------------------------------------------------------


@admin.register(Unit)
class UnitAdmin(ServiceAdminMixin, admin.ModelAdmin):
    # A new unit needs its tree path, so it goes through unit_create. Renaming or re-sorting
    # is no change to any task and no service exists for it: those three fields save plainly.
    # Parent and kind would move the unit's path and everything under it: read-only.
    allow_add = allow_change = True
    list_display = ["name", "full_name", "kind", "parent", "depth", "sort_order"]
    list_filter = ["kind", "depth"]
    search_fields = ["name", "full_name"]
    list_select_related = ["parent"]
    ordering = ["path"]
    fields = ["parent", "kind", "name", "full_name", "sort_order", "path", "depth"]
    readonly_fields = ["path", "depth"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(unit_q(request.user))

    def get_readonly_fields(self, request, obj=None):
        return ["parent", "kind", "path", "depth"] if obj else ["path", "depth"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        if obj is None and "full_name" in form_class.base_fields:
            form_class.base_fields["full_name"].required = False  # unit_create uses the name
        return form_class

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = units_for(request.user)
            kwargs["required"] = not request.user.is_superuser
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            obj.save(update_fields=["name", "full_name", "sort_order"])
            return
        with service_call(form):
            unit = services.unit_create(
                name=data["name"],
                kind=data["kind"],
                parent=data.get("parent"),
                full_name=data.get("full_name") or "",
                sort_order=data.get("sort_order") or 0,
            )
        adopt(obj, unit)


@admin.register(Person)
class PersonAdmin(ServiceAdminMixin, UserAdmin):
    # A new person goes through person_create. Their details, unit, role and status are
    # account settings with no service (and no task timeline) behind them: they save
    # plainly, as does the standard password change form. Superuser, groups and model
    # permissions stay with superusers. People are deactivated, never deleted.
    allow_add = allow_change = True
    add_form = PersonCreationForm
    list_display = ["username", "position", "unit", "role", "is_active", "is_staff", "last_login"]
    list_filter = ["role", "is_active", "is_staff", "unit__kind"]
    search_fields = ["username", "first_name", "last_name", "position", "unit__name", "email"]
    ordering = ["unit__path", "username"]
    list_select_related = ["unit"]
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "usable_password", "password1", "password2"),
            },
        ),
        (_("单位与角色"), {"fields": ("unit", "position", "role", "email", "is_staff")}),
    )
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("单位与角色"), {"fields": ("unit", "position", "role")}),
        (_("个人信息"), {"fields": ("first_name", "last_name", "email")}),
        (
            _("权限"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("重要日期"), {"fields": ("last_login", "date_joined")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).filter(unit_q(request.user, "unit__"))

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        readonly = ["last_login", "date_joined"]
        if not request.user.is_superuser:
            readonly += ["is_superuser", "groups", "user_permissions"]
        return readonly

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "unit":
            kwargs["queryset"] = units_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            return
        data = form.cleaned_data
        with service_call(form):
            person = services.person_create(
                username=data["username"],
                unit=data["unit"],
                role=data["role"],
                position=data.get("position") or "",
                password=data.get("password1") if data.get("set_usable_password", True) else None,
                email=data.get("email") or "",
                is_staff=bool(data.get("is_staff")),
            )
        adopt(obj, person)

    def save_related(self, request, form, formsets, change):
        if change:
            form.save_m2m()  # groups and model permissions (superusers only): account settings
        super().save_related(request, form, formsets, change)


@admin.register(LeaderCharge)
class LeaderChargeAdmin(ServiceAdminMixin, admin.ModelAdmin):
    # Added through leader_charge_add; no service changes or ends a charge, so rows are read-only.
    allow_add = True
    list_display = ["leader", "kind", "unit"]
    list_filter = ["kind"]
    search_fields = ["leader__username", "leader__position", "unit__name"]
    list_select_related = ["leader__unit", "unit"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(unit_q(request.user, "unit__"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "leader":
            kwargs["queryset"] = people_for(request.user).filter(role=Role.LEADER)
        elif db_field.name == "unit":
            kwargs["queryset"] = units_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        with service_call(form):
            charge = services.leader_charge_add(leader=data["leader"], unit=data["unit"], kind=data["kind"])
        adopt(obj, charge)


# ---- Campaigns and special actions -----------------------------------------------------------


@admin.register(Campaign)
class CampaignAdmin(ServiceAdminMixin, admin.ModelAdmin):
    # Created through campaign_create; no service changes a campaign, so it is read-only after.
    allow_add = True
    list_display = ["name", "owner", "code", "start_date", "end_date", "status"]
    list_filter = ["status"]
    search_fields = ["name", "code", "owner__name"]
    date_hierarchy = "start_date"
    fields = ["owner", "name", "code", "start_date", "end_date", "status", "created_at"]
    readonly_fields = ["status", "created_at"]

    def get_queryset(self, request):
        return campaigns_visible_to(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner":
            kwargs["queryset"] = units_for(request.user).filter(kind__in=REGION_KINDS)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        with service_call(form):
            campaign = services.campaign_create(
                owner=data["owner"],
                name=data["name"],
                code=data["code"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                by=request.user,
            )
        adopt(obj, campaign)


@admin.register(SpecialAction)
class SpecialActionAdmin(ServiceAdminMixin, admin.ModelAdmin):
    # Created through special_action_create; no service changes one, so it is read-only after.
    allow_add = True
    list_display = ["name", "code", "campaign", "lead_unit", "lead_leader", "sort_order"]
    list_filter = [("campaign", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "code", "lead_unit__name"]
    filter_horizontal = ["task_force"]
    fields = ["campaign", "name", "code", "lead_unit", "lead_leader", "task_force", "sort_order"]

    def get_queryset(self, request):
        return special_actions_visible_to(request.user).select_related("lead_leader__unit")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "campaign":
            kwargs["queryset"] = campaigns_visible_to(request.user)
        elif db_field.name == "lead_unit":
            kwargs["queryset"] = units_for(request.user)
        elif db_field.name == "lead_leader":
            kwargs["queryset"] = people_for(request.user).filter(role=Role.LEADER)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "task_force":
            kwargs["queryset"] = people_for(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        with service_call(form):
            special_action = services.special_action_create(
                campaign=data["campaign"],
                name=data["name"],
                code=data["code"],
                by=request.user,
                lead_unit=data.get("lead_unit"),
                lead_leader=data.get("lead_leader"),
                task_force=data.get("task_force") or (),
                sort_order=data.get("sort_order") or 0,
            )
        adopt(obj, special_action)


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
