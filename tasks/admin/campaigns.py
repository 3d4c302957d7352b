"""Campaigns and special actions."""

from django.contrib import admin

from .. import services
from ..forms import people_for, units_for
from ..models import (
    REGION_KINDS,
    Campaign,
    Role,
    SpecialAction,
)
from ..selectors import campaigns_visible_to, special_actions_visible_to
from .base import ServiceAdminMixin, adopt, service_call

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
