"""Admin for supervision groups; permissions and service errors work as in `tasks.admin`."""

from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tasks.admin import ServiceAdminMixin, adopt, service_call
from tasks.admin.base import ReadOnlyAdmin, ServiceInlineMixin, unit_q
from tasks.forms import people_for, units_for
from tasks.models import REGION_KINDS
from tasks.selectors import access_for, campaigns_visible_to, special_actions_visible_to

from . import channels, selectors, services
from .models import (
    CalendarDay,
    Card,
    Delivery,
    DeliveryState,
    Finding,
    InboxItem,
    Inspection,
    Notification,
    NotifyEndpoint,
    OrderEvent,
    OrderSequence,
    RankingPolicy,
    RankingSnapshot,
    RankingSnapshotRow,
    ReminderPolicy,
    SupervisionAttachment,
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


@admin.register(SupervisionAttachment)
class SupervisionAttachmentAdmin(ReadOnlyAdmin):
    """Inspection photos and rectification evidence: listed here, downloaded through the checked views."""

    list_display = [
        "original_name",
        "inspection",
        "order",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
    ]
    list_select_related = ["inspection__group", "order", "uploaded_by__unit"]
    exclude = ["file", "thumbnail", "web_copy"]

    def get_queryset(self, request):
        scoped = unit_q(request.user, "order__unit__") | Q(
            inspection__in=Inspection.objects.filter(unit_q(request.user, "group__scope_units__")).values(
                "pk"
            )
        )
        return super().get_queryset(request).filter(scoped)


@admin.register(OrderSequence)
class OrderSequenceAdmin(ReadOnlyAdmin):
    list_display = ["group", "year", "last"]
    list_select_related = ["group"]


# ---- Red and yellow cards: proposed by supervision.services.cards_propose, decided through the API and pages. ------------


@admin.register(Card)
class CardAdmin(ReadOnlyAdmin):
    list_display = ["unit", "kind", "status", "proposed_on", "overdue_tasks", "overdue_orders", "decided_by"]
    list_filter = ["kind", "status"]
    search_fields = ["unit__name", "decision_reason", "lift_reason"]
    list_select_related = ["unit", "decided_by__unit"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(unit_q(request.user, "unit__"))


# ---- Weekly ranking snapshots: written by supervision.snapshots (the weekly job), never by hand. ---------


class RankingSnapshotRowInline(ServiceInlineMixin, admin.TabularInline):
    model = RankingSnapshotRow
    extra = 0
    fields = ["kind", "rank", "unit", "score", "figures"]
    readonly_fields = fields
    ordering = ["kind", "rank"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("unit")


@admin.register(RankingSnapshot)
class RankingSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["week", "campaign", "scope", "taken_on", "row_count"]
    list_filter = ["week", "campaign"]
    search_fields = ["campaign__name", "scope__name"]
    list_select_related = ["campaign", "scope"]
    date_hierarchy = "week"
    inlines = [RankingSnapshotRowInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(unit_q(request.user, "scope__"))
            .annotate(row_total=Count("rows", distinct=True))
        )

    @admin.display(description=_("参与排名单位数"), ordering="row_total")
    def row_count(self, snapshot):
        return snapshot.row_total


# ---- Reminders (催办提醒): the office edits them on its own pages (/office/reminders/ …); here the rules
# change through services.policy_update, and the rest is read-only, webhook keys masked. -------------


@admin.register(ReminderPolicy)
class ReminderPolicyAdmin(ServiceAdminMixin, admin.ModelAdmin):
    allow_change = True
    rules = list(services.POLICY_FIELDS)
    list_display = ["campaign", *rules, "updated_by", "updated_at"]
    list_select_related = ["campaign", "updated_by__unit"]
    fields = ["campaign", *rules, "updated_by", "updated_at"]
    readonly_fields = ["campaign", "updated_by", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(unit_q(request.user, "campaign__owner__"))

    def save_model(self, request, obj, form, change):
        with service_call(form):
            policy = services.policy_update(
                campaign=obj.campaign,
                by=request.user,
                **{name: form.cleaned_data[name] for name in self.rules},
            )
        adopt(obj, policy)


@admin.register(RankingPolicy)
class RankingPolicyAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """排名规则: set through ranking_policy_update (the office of the campaign's region)."""

    allow_add = allow_change = True
    rules = list(services.RANKING_POLICY_FIELDS)
    list_display = ["campaign", *rules, "updated_by", "updated_at"]
    list_select_related = ["campaign", "updated_by__unit"]
    fields = ["campaign", *rules, "updated_by", "updated_at"]
    readonly_fields = ["updated_by", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "campaign"] if obj is not None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "campaign":
            kwargs["queryset"] = campaigns_visible_to(request.user).filter(ranking_policy__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(unit_q(request.user, "campaign__owner__"))

    def save_model(self, request, obj, form, change):
        with service_call(form):
            policy = services.ranking_policy_update(
                campaign=obj.campaign,
                by=request.user,
                **{name: form.cleaned_data[name] for name in self.rules},
            )
        adopt(obj, policy)


@admin.register(CalendarDay)
class CalendarDayAdmin(ReadOnlyAdmin):
    list_display = ["date", "working", "name", "from_package"]
    list_filter = ["working", "from_package"]
    date_hierarchy = "date"


class MaskedAddressMixin:
    @admin.display(description=_("地址"))
    def masked_address(self, row):
        return channels.mask_address(row.channel, row.address)

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "masked_address"]


@admin.register(NotifyEndpoint)
class NotifyEndpointAdmin(MaskedAddressMixin, ReadOnlyAdmin):
    list_display = ["id", "unit", "group", "channel", "masked_address", "enabled", "created_at"]
    list_filter = ["channel", "enabled"]
    list_select_related = ["unit", "group"]
    fields = ["unit", "group", "channel", "masked_address", "enabled", "created_at"]  # never the secret

    def get_queryset(self, request):
        region = selectors.in_office_region_q(request.user, "unit", "group__issuing_unit")
        return super().get_queryset(request).filter(region)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["key", "rule", "day", "unit", "person", "group", "created_by", "created_at"]
    list_filter = ["rule", "day"]
    search_fields = ["key", "note"]
    list_select_related = ["unit", "person__unit", "group", "created_by__unit"]
    raw_id_fields = ["task", "milestone", "order", "unit", "person", "group", "created_by"]

    def get_queryset(self, request):
        region = selectors.in_office_region_q(request.user, "unit", "person__unit", "group__issuing_unit")
        return super().get_queryset(request).filter(region)


@admin.register(InboxItem)
class InboxItemAdmin(ReadOnlyAdmin):
    list_display = ["person", "notification", "created_at", "read_at"]
    list_select_related = ["person__unit", "notification"]
    raw_id_fields = ["notification", "person"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).filter(selectors.in_office_region_q(request.user, "person__unit"))
        )


@admin.register(Delivery)
class DeliveryAdmin(MaskedAddressMixin, ReadOnlyAdmin):
    list_display = ["id", "notification", "channel", "masked_address", "state", "attempts", "updated_at"]
    list_filter = ["state", "channel"]
    list_select_related = ["notification"]
    fields = [
        "notification",
        "webhook_event",
        "channel",
        "endpoint",
        "masked_address",
        "state",
        "attempts",
        "last_error",
        "next_attempt_at",
        "enqueued_at",
        "sent_at",
        "created_at",
        "updated_at",
    ]
    actions = ["retry_failed"]

    def get_queryset(self, request):
        region = selectors.in_office_region_q(
            request.user,
            "notification__unit",
            "notification__person__unit",
            "notification__group__issuing_unit",
            "webhook__region",
        )
        return super().get_queryset(request).filter(region)

    @admin.action(description=_("重发所选的发送失败记录"), permissions=["office"])
    def retry_failed(self, request, queryset):
        self.run_each(
            request,
            queryset.filter(state=DeliveryState.FAILED),
            lambda delivery: services.delivery_retry(delivery=delivery, by=request.user),
            gettext("已重新排队 %(count)d 条发送记录。"),
        )
