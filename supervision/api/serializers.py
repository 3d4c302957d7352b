"""API representations of supervision work. Reads come from supervision/selectors.py; request bodies
are validated here (ids resolved among the rows the caller may see) and handed to the services."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tasks.api.serializers import (
    InputSerializer,
    NamedRefSerializer,
    PersonRefSerializer,
    UnitRefSerializer,
    VisibleRelatedField,
)
from tasks.models import Task, Unit
from tasks.selectors import access_for, units_visible_to

from .. import selectors
from ..models import (
    Finding,
    Inspection,
    InspectionKind,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
    SupervisionAttachment,
    SupervisionGroup,
    SupervisionOrder,
    Urgency,
)


def _tasks(user):
    return Task.objects.filter(access_for(user).task_q())


# ---- Groups ----------------------------------------------------------------------------------------


class SupervisionGroupSerializer(serializers.ModelSerializer):
    issuing_unit = UnitRefSerializer(read_only=True)
    leader = PersonRefSerializer(read_only=True, allow_null=True)
    members = PersonRefSerializer(many=True, read_only=True)
    scope_units = UnitRefSerializer(many=True, read_only=True)
    scope_special_actions = NamedRefSerializer(many=True, read_only=True)

    class Meta:
        model = SupervisionGroup
        fields = [
            "id",
            "name",
            "issuing_unit",
            "leader",
            "members",
            "scope_units",
            "scope_special_actions",
            "order_prefix",
            "is_active",
        ]
        read_only_fields = fields


class TaskRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = ["id", "code", "title"]


# ---- Evidence (inspection photos, rectification files) ------------------------------------------------


class SupervisionAttachmentSerializer(serializers.ModelSerializer):
    uploaded_by = PersonRefSerializer(read_only=True)
    download_url = serializers.SerializerMethodField(
        help_text=_("原件的下载地址(网站页面,须以浏览器登录;只有可见该督查记录或督办单的用户可以下载)。")
    )

    class Meta:
        model = SupervisionAttachment
        fields = [
            "id",
            "order_event",
            "original_name",
            "size",
            "content_type",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, attachment) -> str:
        from django.urls import reverse

        url = reverse("evidence-download", args=[attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


def evidence_field(label):
    return serializers.ListField(
        child=serializers.FileField(),
        required=False,
        allow_empty=True,
        label=label,
        help_text=_(
            "multipart/form-data 上传,可多个(同名字段重复);最多 10 个,每个不超过 10 MB:图片、PDF、Word、Excel。"
        ),
    )


# ---- Inspections and findings ------------------------------------------------------------------------


class OrderRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupervisionOrder
        fields = ["id", "number", "status"]


class FindingSerializer(serializers.ModelSerializer):
    unit = UnitRefSerializer(read_only=True)
    task = TaskRefSerializer(read_only=True, allow_null=True)
    order = serializers.SerializerMethodField(help_text=_("据此下发的督办单;尚未下发为 null。"))

    class Meta:
        model = Finding
        fields = ["id", "inspection", "unit", "task", "text", "order"]
        read_only_fields = fields

    @extend_schema_field(OrderRefSerializer(allow_null=True))
    def get_order(self, finding):
        order = getattr(finding, "order", None)  # reverse one-to-one: missing raises, getattr gives None
        return OrderRefSerializer(order).data if order is not None else None


class InspectionSerializer(serializers.ModelSerializer):
    group = NamedRefSerializer(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    units_visited = UnitRefSerializer(many=True, read_only=True)
    tasks_checked = TaskRefSerializer(many=True, read_only=True)
    findings = FindingSerializer(many=True, read_only=True)
    created_by = PersonRefSerializer(read_only=True)
    attachments = SupervisionAttachmentSerializer(many=True, read_only=True, help_text=_("现场照片和材料。"))

    class Meta:
        model = Inspection
        fields = [
            "id",
            "group",
            "kind",
            "kind_display",
            "date",
            "summary",
            "units_visited",
            "tasks_checked",
            "findings",
            "attachments",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class FindingInputSerializer(InputSerializer):
    unit = VisibleRelatedField(Unit, units_visible_to, label=_("涉及单位"))
    task = VisibleRelatedField(Task, _tasks, required=False, allow_null=True, label=_("涉及任务"))
    text = serializers.CharField(label=_("发现问题"))


class InspectionCreateSerializer(InputSerializer):
    group = VisibleRelatedField(SupervisionGroup, selectors.groups_visible_to, label=_("督导检查组"))
    kind = serializers.ChoiceField(choices=InspectionKind.choices, label=_("方式"))
    date = serializers.DateField(label=_("日期"))
    summary = serializers.CharField(label=_("情况概述"))
    units = VisibleRelatedField(Unit, units_visible_to, many=True, required=False, label=_("检查单位"))
    tasks = VisibleRelatedField(Task, _tasks, many=True, required=False, label=_("检查任务"))
    findings = FindingInputSerializer(many=True, required=False, label=_("发现问题"))
    photos = evidence_field(_("现场照片和材料"))


# ---- Supervision orders ----------------------------------------------------------------------------


class OrderEventSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=OrderEventKind.choices, read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    actor = PersonRefSerializer(read_only=True)

    class Meta:
        model = OrderEvent
        fields = ["id", "order", "kind", "kind_display", "actor", "at", "note"]
        read_only_fields = fields


class SupervisionOrderSerializer(serializers.ModelSerializer):
    group = NamedRefSerializer(read_only=True)
    unit = UnitRefSerializer(read_only=True)
    cooperating_units = UnitRefSerializer(many=True, read_only=True)
    tasks = TaskRefSerializer(many=True, read_only=True)
    issued_by = PersonRefSerializer(read_only=True)
    status = serializers.ChoiceField(choices=OrderStatus.choices, read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    urgency = serializers.ChoiceField(choices=Urgency.choices, read_only=True)
    urgency_display = serializers.CharField(source="get_urgency_display", read_only=True)
    is_overdue = serializers.SerializerMethodField(help_text=_("逾期:已过整改时限且未销号。"))
    days_left = serializers.SerializerMethodField(help_text=_("距整改时限的天数,逾期为负数。"))

    class Meta:
        model = SupervisionOrder
        fields = [
            "id",
            "number",
            "year",
            "sequence",
            "group",
            "unit",
            "cooperating_units",
            "tasks",
            "finding",
            "problem",
            "requirement",
            "deadline",
            "days_left",
            "urgency",
            "urgency_display",
            "status",
            "status_display",
            "returned",
            "is_overdue",
            "rectification",
            "issued_by",
            "issued_at",
            "closed_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_is_overdue(self, order) -> bool:
        return order.status != OrderStatus.CLOSED and order.deadline < timezone.localdate()

    def get_days_left(self, order) -> int:
        return (order.deadline - timezone.localdate()).days


class SupervisionOrderDetailSerializer(SupervisionOrderSerializer):
    events = OrderEventSerializer(many=True, read_only=True)
    attachments = SupervisionAttachmentSerializer(
        many=True, read_only=True, help_text=_("整改佐证;order_event 指明随哪一次整改反馈上传。")
    )

    class Meta(SupervisionOrderSerializer.Meta):
        fields = [*SupervisionOrderSerializer.Meta.fields, "events", "attachments"]
        read_only_fields = fields


class OrderIssueFromFindingSerializer(InputSerializer):
    requirement = serializers.CharField(label=_("督办要求"))
    deadline = serializers.DateField(label=_("整改时限"))
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.BLUE, label=_("督办等级"))


class OrderCreateSerializer(OrderIssueFromFindingSerializer):
    group = VisibleRelatedField(SupervisionGroup, selectors.groups_visible_to, label=_("督导检查组"))
    unit = VisibleRelatedField(Unit, units_visible_to, label=_("承办单位"))
    cooperating_units = VisibleRelatedField(
        Unit, units_visible_to, many=True, required=False, label=_("协办单位")
    )
    tasks = VisibleRelatedField(Task, _tasks, many=True, required=False, label=_("相关任务"))
    problem = serializers.CharField(label=_("存在问题"))


class RectificationSerializer(InputSerializer):
    text = serializers.CharField(label=_("整改情况"))
    files = evidence_field(_("整改佐证"))
