"""Units, people and who answers for which unit."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from .. import permissions, services
from ..forms import PersonCreationForm, people_for, units_for
from ..models import (
    LeaderCharge,
    Person,
    Role,
    Unit,
)
from .base import ServiceAdminMixin, adopt, service_call, unit_q

# ---- Units and people ------------------------------------------------------------------------


@admin.register(Unit)
class UnitAdmin(ServiceAdminMixin, admin.ModelAdmin):
    # A new unit needs its tree path, so it goes through unit_create. Renaming, re-sorting or
    # naming its aliases (the other names an imported task list may use for it) goes through
    # unit_update (a renamed unit's tasks show the new name, so a sync client must get them again).
    # Parent and kind would move the unit's path and everything under it: read-only.
    allow_add = allow_change = True
    list_display = ["name", "full_name", "kind", "parent", "depth", "sort_order"]
    list_filter = ["kind", "depth"]
    search_fields = ["name", "full_name", "aliases"]
    list_select_related = ["parent"]
    ordering = ["path"]
    fields = ["parent", "kind", "name", "full_name", "aliases", "sort_order", "path", "depth"]
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
            with service_call(form):
                unit = services.unit_update(
                    unit=obj,
                    by=request.user,
                    name=data["name"],
                    full_name=data.get("full_name") or "",
                    aliases=data.get("aliases") or "",
                    sort_order=data.get("sort_order") or 0,
                )
            adopt(obj, unit)
            return
        with service_call(form):
            unit = services.unit_create(
                by=request.user,
                name=data["name"],
                kind=data["kind"],
                parent=data.get("parent"),
                full_name=data.get("full_name") or "",
                sort_order=data.get("sort_order") or 0,
                aliases=data.get("aliases") or "",
            )
        adopt(obj, unit)


@admin.register(Person)
class PersonAdmin(ServiceAdminMixin, UserAdmin):
    # A new person goes through person_create. Their details, unit, role and status are
    # account settings with no task timeline behind them: they save through person_update (which
    # moves the tasks that show them as responsible leader), the password change form plainly. Staff,
    # superuser, groups and model
    # permissions stay with superusers. People are deactivated, never deleted.
    # An office sees and changes only people it may manage (tasks.permissions.may_manage_person):
    # never staff, superusers or a role above its own, whose password it could otherwise reset.
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
        return (
            super()
            .get_queryset(request)
            .filter(unit_q(request.user, "unit__"), permissions.manageable_people_q(request.user))
        )

    def has_view_permission(self, request, obj=None):
        may = obj is None or permissions.may_manage_person(request.user, obj)
        return may and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        # Also guards the password change page (UserAdmin.user_change_password asks it for the person).
        may = obj is None or permissions.may_manage_person(request.user, obj)
        return may and super().has_change_permission(request, obj)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None and not request.user.is_superuser:
            # Staff status comes with the office role (person_create); nobody else grants it here.
            fieldsets = [
                (name, {**options, "fields": [f for f in options["fields"] if f != "is_staff"]})
                for name, options in fieldsets
            ]
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        readonly = ["last_login", "date_joined"]
        if not request.user.is_superuser:
            readonly += ["is_staff", "is_superuser", "groups", "user_permissions"]
        return readonly

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "unit":
            kwargs["queryset"] = units_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            # No role above the user's own (tasks.permissions.ROLE_RANK).
            kwargs["choices"] = [
                (value, label)
                for value, label in Role.choices
                if permissions.may_grant_role(request.user, value)
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def log_change(self, request, obj, message):
        # After a password change: say which of the person's API tokens it revoked (tasks.passwords).
        revoked = getattr(obj, "revoked_api_tokens", None)
        if revoked:
            self.message_user(request, services.revoked_tokens_message(revoked), messages.WARNING)
        return super().log_change(request, obj, message)

    def save_model(self, request, obj, form, change):
        if change:
            with service_call(form):
                services.person_update(person=obj, by=request.user, changed=form.changed_data)
            return
        data = form.cleaned_data
        with service_call(form):
            person = services.person_create(
                by=request.user,
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
            charge = services.leader_charge_add(
                by=request.user, leader=data["leader"], unit=data["unit"], kind=data["kind"]
            )
        adopt(obj, charge)
