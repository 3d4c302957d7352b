"""Admin for supervision groups; permissions and service errors work as in `tasks.admin`."""

from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from tasks.admin import ServiceAdminMixin, adopt, service_call
from tasks.admin.base import ReadOnlyAdmin, unit_q
from tasks.forms import people_for, units_for
from tasks.models import REGION_KINDS
from tasks.selectors import access_for, special_actions_visible_to

from . import services
from .models import (
    Card,
    Finding,
    Inspection,
    OrderEvent,
    OrderSequence,
    SupervisionGroup,
    SupervisionOrder,
)


@admin.register(SupervisionGroup)
class SupervisionGroupAdmin(ServiceAdminMixin, admin.ModelAdmin):
    # Add → group_create; on a saved group only the members change, through
    # group_set_members. Everything else is read-only: the scope, the leader and whether
    # the group is active decide what its members may read (tasks.selectors), and no
    # service changes them yet, so a plain save would widen or narrow access unchecked.
    allow_add = allow_change = True
    list_display = ["name", "issuing_unit", "leader", "member_count", "order_prefix", "is_active"]
    list_filter = ["is_active", ("issuing_unit", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "issuing_unit__name", "order_prefix"]
    list_select_related = ["issuing_unit", "leader__unit"]
    filter_horizontal = ["members", "scope_units", "scope_special_actions"]
    fields = [
        "name",
        "issuing_unit",
        "leader",
        "members",
        "scope_units",
        "scope_special_actions",
        "order_prefix",
        "is_active",
    ]
    readonly_on_change = [
        "name",
        "issuing_unit",
        "leader",
        "scope_units",
        "scope_special_actions",
        "order_prefix",
        "is_active",
    ]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).annotate(member_total=Count("members", distinct=True))
        access = access_for(request.user)
        if access.everything:
            return queryset
        if access.region is None:
            return queryset.none()
        region = access.region
        # Groups sent out from my region, groups inspecting anything in it (the city's group
        # sent to my county) and groups I belong to.
        touching = SupervisionGroup.objects.filter(
            Q(scope_units__path__startswith=region.path) | Q(scope_units__in=region.ancestor_ids)
        ).values("pk")
        mine = SupervisionGroup.objects.filter(members=request.user).values("pk")
        return queryset.filter(
            Q(issuing_unit__path__startswith=region.path) | Q(pk__in=touching) | Q(pk__in=mine)
        )

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_on_change if obj else ["is_active"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "issuing_unit":
            kwargs["queryset"] = units_for(request.user).filter(kind__in=REGION_KINDS)
        elif db_field.name == "leader":
            kwargs["queryset"] = people_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "members":
            kwargs["queryset"] = people_for(request.user)
        elif db_field.name == "scope_units":
            kwargs["queryset"] = units_for(request.user)
        elif db_field.name == "scope_special_actions":
            kwargs["queryset"] = special_actions_visible_to(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("成员数"), ordering="member_total")
    def member_count(self, group):
        return group.member_total

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        with service_call(form):
            if change:
                if "members" in form.changed_data:
                    services.group_set_members(group=obj, by=request.user, members=data["members"])
                return
            group = services.group_create(
                name=data["name"],
                issuing_unit=data["issuing_unit"],
                by=request.user,
                scope_units=data["scope_units"],
                leader=data.get("leader"),
                members=data.get("members") or (),
                scope_special_actions=data.get("scope_special_actions") or (),
                order_prefix=data.get("order_prefix") or "",
            )
        adopt(obj, group)


# ---- Inspections and orders: read-only here; they are written through the API and pages. --------


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    list_display = ["date", "group", "kind", "created_by"]
    list_filter = ["kind", "group"]
    search_fields = ["summary"]
    list_select_related = ["group", "created_by__unit"]

    def get_queryset(self, request):
        scoped = unit_q(request.user, "group__scope_units__")
        return super().get_queryset(request).filter(pk__in=Inspection.objects.filter(scoped).values("pk"))


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ["text", "unit", "task", "inspection"]
    search_fields = ["text", "unit__name"]
    list_select_related = ["unit", "task", "inspection__group"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(unit_q(request.user, "unit__"))


@admin.register(SupervisionOrder)
class SupervisionOrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "unit", "status", "urgency", "deadline", "group"]
    list_filter = ["status", "urgency", "group"]
    search_fields = ["number", "problem", "unit__name"]
    list_select_related = ["unit", "group"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(unit_q(request.user, "unit__"))


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdmin):
    list_display = ["order", "kind", "actor", "at"]
    list_select_related = ["order", "actor__unit"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(unit_q(request.user, "order__unit__"))


@admin.register(OrderSequence)
class OrderSequenceAdmin(ReadOnlyAdmin):
    list_display = ["group", "year", "last"]
    list_select_related = ["group"]


# ---- Red and yellow cards: proposed by supervision.cards, decided through the API and pages. ------------


@admin.register(Card)
class CardAdmin(ReadOnlyAdmin):
    list_display = ["unit", "kind", "status", "proposed_on", "overdue_tasks", "overdue_orders", "decided_by"]
    list_filter = ["kind", "status"]
    search_fields = ["unit__name", "decision_reason", "lift_reason"]
    list_select_related = ["unit", "decided_by__unit"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(unit_q(request.user, "unit__"))
