"""The mechanism every admin here shares: service calls, their errors, role-based permissions."""

from contextlib import contextmanager

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import router, transaction
from django.db.models import Q
from django.template.response import TemplateResponse
from django.utils.translation import gettext

from ..forms import ReasonForm
from ..models import (
    Role,
)
from ..selectors import access_for

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
