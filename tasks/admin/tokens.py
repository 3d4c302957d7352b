"""API tokens: listed, created (the plain token shown once) and revoked; idempotency keys read-only."""

from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import permissions, services
from ..forms import people_for
from ..models import ApiToken, AuditEntry, IdempotencyKey
from .base import ReadOnlyAdmin, ServiceAdminMixin, adopt, service_call, unit_q


@admin.register(ApiToken)
class ApiTokenAdmin(ServiceAdminMixin, admin.ModelAdmin):
    # Added through token_create; a saved token only changes by being revoked (an action).
    allow_add = True
    list_display = ["name", "user", "prefix", "read_only", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["read_only", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username", "user__position"]
    list_select_related = ["user__unit"]
    fields = ["user", "name", "read_only", "expires_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_queryset(self, request):
        # Only the tokens of people the user may manage: a token is as good as its holder's password.
        return (
            super()
            .get_queryset(request)
            .filter(
                unit_q(request.user, "user__unit__"), permissions.manageable_people_q(request.user, "user__")
            )
        )

    def get_fields(self, request, obj=None):
        return self.fields if obj is None else [*self.fields, *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is None else [*self.fields, *self.readonly_fields]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = people_for(request.user).filter(
                permissions.manageable_people_q(request.user)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        with service_call(form):
            token, plain = services.token_create(
                user=data["user"],
                by=request.user,
                name=data["name"],
                read_only=data.get("read_only", False),
                expires_at=data.get("expires_at"),
            )
        adopt(obj, token)
        self.message_user(
            request,
            gettext("新令牌(只显示这一次,请立即复制保存):%(token)s") % {"token": plain},
            messages.WARNING,
        )

    @admin.action(description=_("吊销所选令牌"), permissions=["office"])
    def revoke(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda token: services.token_revoke(token=token, by=request.user),
            gettext("已吊销 %(count)d 个令牌。"),
        )


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ["key", "user", "status_code", "created_at"]
    search_fields = ["key", "user__username"]
    list_select_related = ["user"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(unit_q(request.user, "user__unit__"))


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "username", "unit", "ip"]
    list_filter = ["kind"]
    search_fields = ["username", "ip"]
    date_hierarchy = "at"
    list_select_related = ["unit"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(unit_q(request.user, "unit__"))
