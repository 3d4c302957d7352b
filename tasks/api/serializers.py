"""API representations. Reads come from the selectors' querysets; writes are validated here
and carried out by the services (see views.py)."""

from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import selectors
from ..models import (
    ApiToken,
    Attachment,
    Campaign,
    EventKind,
    ExtensionRequest,
    ImportBatch,
    Instruction,
    Milestone,
    Person,
    Priority,
    ProgressReport,
    SpecialAction,
    Task,
    TaskEvent,
    Unit,
)

# ---- References to rows the caller may see ---------------------------------------------------------


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key looked up among the rows the caller may see: a hidden row answers exactly like
    a missing one (400, "does not exist"), so ids outside one's scope cannot be probed."""

    def __init__(self, model, visible, **kwargs):
        self.visible = visible
        super().__init__(queryset=model.objects.none(), **kwargs)  # the model, for the schema

    def get_queryset(self):
        request = self.context.get("request")
        return self.visible(request.user) if request else self.queryset


def _tasks(user):
    return Task.objects.filter(selectors.access_for(user).task_q())


def _campaigns(user):
    return selectors.campaigns_visible_to(user)


def _special_actions(user):
    return selectors.special_actions_visible_to(user)


def _units(user):
    return selectors.units_visible_to(user)


def _people(user):
    return selectors.people_visible_to(user)


class StrictInputMixin:
    """Text fields take only text: DRF would turn a JSON number or boolean into a string, which
    hides a client's mistake (and breaks the schema's promise of "type: string"). A PATCH that names
    only fields it cannot change (`status`, `id`: read-only or unknown) is a 400 naming them, not a 200
    that changed nothing."""

    def to_internal_value(self, data):
        if hasattr(data, "items"):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            if self.partial and data and not writable.intersection(data.keys()):
                raise serializers.ValidationError(
                    {name: [_("这个字段不能修改。")] for name in sorted(data.keys())}
                )
            errors = {}
            for name, field in self.fields.items():
                value = data.get(name)
                if (
                    isinstance(field, serializers.CharField)
                    and not field.read_only
                    and value is not None
                    and not isinstance(value, str)
                ):
                    errors[name] = [_("请输入文字。")]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class InputSerializer(StrictInputMixin, serializers.Serializer):
    """Base of the request bodies that the views hand to services."""


# ---- Small references -------------------------------------------------------------------------


class UnitRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "name", "kind"]


class PersonRefSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField(help_text=_("单位加职务,如“万安镇党政办主任”。"))

    class Meta:
        model = Person
        fields = ["id", "name", "position", "role"]

    def get_name(self, person) -> str:
        return str(person)


class NamedRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


# ---- Units, people, campaigns ------------------------------------------------------------------


class UnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "parent", "kind", "name", "full_name", "depth", "sort_order"]


class PersonSerializer(PersonRefSerializer):
    unit = UnitRefSerializer(read_only=True)

    class Meta:
        model = Person
        fields = ["id", "name", "position", "role", "unit"]


class MeSerializer(serializers.ModelSerializer):
    unit = UnitRefSerializer(read_only=True)
    home_region = UnitRefSerializer(read_only=True, allow_null=True)
    name = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = ["id", "username", "name", "position", "role", "unit", "home_region", "is_superuser"]

    def get_name(self, person) -> str:
        return str(person)


class CampaignSerializer(StrictInputMixin, serializers.ModelSerializer):
    owner = UnitRefSerializer(read_only=True)
    owner_id = VisibleRelatedField(Unit, _units, source="owner", write_only=True, label=_("组织单位"))

    class Meta:
        model = Campaign
        fields = ["id", "name", "code", "owner", "owner_id", "start_date", "end_date", "status", "created_at"]
        read_only_fields = ["status", "created_at"]
        validators = []  # uniqueness is the service's (and the database's) to decide


class SpecialActionSerializer(StrictInputMixin, serializers.ModelSerializer):
    campaign = VisibleRelatedField(Campaign, _campaigns, label=_("冬季行动"))
    lead_unit = UnitRefSerializer(read_only=True, allow_null=True)
    lead_leader = PersonRefSerializer(read_only=True, allow_null=True)
    lead_unit_id = VisibleRelatedField(
        Unit, _units, source="lead_unit", write_only=True, required=False, allow_null=True
    )
    lead_leader_id = VisibleRelatedField(
        Person, _people, source="lead_leader", write_only=True, required=False, allow_null=True
    )

    class Meta:
        model = SpecialAction
        fields = [
            "id",
            "campaign",
            "name",
            "code",
            "lead_unit",
            "lead_leader",
            "lead_unit_id",
            "lead_leader_id",
            "sort_order",
        ]
        validators = []


# ---- Tasks ------------------------------------------------------------------------------------------


# Said of each field computed from today's date (tasks.flags).
DAILY = _(
    "按当天(北京时间)计算,每天零点可能变化而 updated_at 不变:同步游标(cursor)在新一天的第一次拉取时"
    "重新给出全部任务;只用 updated_since 的客户端应每天完整拉取一次。"
)


class TaskSerializer(serializers.ModelSerializer):
    """A task as clients see it, with the derived flags (computed for today, Asia/Shanghai)."""

    special_action = NamedRefSerializer(read_only=True)
    lead_unit = UnitRefSerializer(read_only=True)
    cooperating_units = serializers.SerializerMethodField()
    responsible_leader = PersonRefSerializer(read_only=True, allow_null=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    is_overdue = serializers.BooleanField(
        read_only=True, help_text=format_lazy("{}{}", _("逾期:已过完成时限且未完成。"), DAILY)
    )
    is_due_soon = serializers.BooleanField(
        read_only=True, help_text=format_lazy("{}{}", _("临期:完成时限在今后若干天内。"), DAILY)
    )
    is_behind = serializers.BooleanField(
        read_only=True, help_text=format_lazy("{}{}", _("滞后:进度明显落后于时间进度。"), DAILY)
    )
    days_left = serializers.SerializerMethodField(
        help_text=format_lazy("{}{}", _("距完成时限的天数,逾期为负数。"), DAILY)
    )
    rollup_progress = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text=_("有子任务时,子任务的平均进度。子任务的进度或状态变化时,本任务的 updated_at 随之更新。"),
    )

    class Meta:
        model = Task
        fields = [
            "id",
            "code",
            "title",
            "description",
            "target",
            "campaign",
            "special_action",
            "parent",
            "lead_unit",
            "cooperating_units",
            "responsible_leader",
            "start_date",
            "deadline",
            "original_deadline",
            "days_left",
            "priority",
            "progress",
            "rollup_progress",
            "status",
            "status_display",
            "returned",
            "is_overdue",
            "is_due_soon",
            "is_behind",
            "closed_at",
            "closed_late",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(UnitRefSerializer(many=True))
    def get_cooperating_units(self, task):
        return [{"id": c.unit_id, "name": c.unit.name, "kind": c.unit.kind} for c in task.cooperations.all()]

    def get_days_left(self, task) -> int:
        return (task.deadline - timezone.localdate()).days


class TaskExportSerializer(TaskSerializer):
    """Flat columns for the CSV export (the XLSX export is the ledger: tasks.ledger)."""

    special_action_name = serializers.CharField(source="special_action.name")
    lead_unit_name = serializers.CharField(source="lead_unit.name")
    cooperating_unit_names = serializers.SerializerMethodField()
    responsible_leader_name = serializers.SerializerMethodField()
    # The lead unit's latest report (annotated by tasks.selectors.with_lead_report): what drives the task.
    lead_report_done = serializers.CharField(default="", allow_null=True)
    lead_report_problems = serializers.CharField(default="", allow_null=True)
    lead_report_next_steps = serializers.CharField(default="", allow_null=True)

    class Meta(TaskSerializer.Meta):
        fields = [
            *TaskSerializer.Meta.fields,
            "special_action_name",
            "lead_unit_name",
            "cooperating_unit_names",
            "responsible_leader_name",
            "lead_report_done",
            "lead_report_problems",
            "lead_report_next_steps",
        ]
        read_only_fields = fields

    def get_cooperating_unit_names(self, task) -> list[str]:
        return [c.unit.name for c in task.cooperations.all()]

    def get_responsible_leader_name(self, task) -> str:
        return str(task.responsible_leader) if task.responsible_leader else ""


class TaskCreateSerializer(InputSerializer):
    campaign = VisibleRelatedField(Campaign, _campaigns, label=_("冬季行动"))
    special_action = VisibleRelatedField(SpecialAction, _special_actions, label=_("专项行动"))
    title = serializers.CharField(max_length=200, label=_("任务名称"))
    lead_unit = VisibleRelatedField(Unit, _units, label=_("牵头单位"))
    deadline = serializers.DateField(label=_("完成时限"))
    start_date = serializers.DateField(required=False, label=_("开始日期"))
    code = serializers.CharField(max_length=32, required=False, allow_blank=True, label=_("编号"))
    description = serializers.CharField(required=False, allow_blank=True, label=_("任务内容"))
    target = serializers.CharField(required=False, allow_blank=True, label=_("目标/预期成效"))
    cooperating_units = VisibleRelatedField(Unit, _units, many=True, required=False, label=_("配合单位"))
    responsible_leader = VisibleRelatedField(
        Person, _people, required=False, allow_null=True, label=_("责任领导")
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, label=_("优先级"))
    parent = VisibleRelatedField(Task, _tasks, required=False, allow_null=True, label=_("上级任务"))


class TaskUpdateSerializer(InputSerializer):
    title = serializers.CharField(max_length=200, required=False, label=_("任务名称"))
    description = serializers.CharField(required=False, allow_blank=True, label=_("任务内容"))
    target = serializers.CharField(required=False, allow_blank=True, label=_("目标/预期成效"))
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, label=_("优先级"))
    lead_unit = VisibleRelatedField(Unit, _units, required=False, label=_("牵头单位"))
    cooperating_units = VisibleRelatedField(Unit, _units, many=True, required=False, label=_("配合单位"))
    responsible_leader = VisibleRelatedField(
        Person, _people, required=False, allow_null=True, label=_("责任领导")
    )
    note = serializers.CharField(required=False, allow_blank=True, label=_("调整说明"))


class ReasonSerializer(InputSerializer):
    reason = serializers.CharField(label=_("理由"))


class NoteSerializer(InputSerializer):
    note = serializers.CharField(required=False, allow_blank=True, label=_("说明"))


# ---- What happens to a task -----------------------------------------------------------------------


class AttachmentSerializer(serializers.ModelSerializer):
    uploaded_by = PersonRefSerializer(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "task",
            "progress_report",
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

        url = reverse("api:attachment-download", args=[attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class AttachmentCreateSerializer(InputSerializer):
    task = VisibleRelatedField(Task, _tasks, label=_("任务"))
    file = serializers.FileField(label=_("文件"))


class ProgressReportSerializer(serializers.ModelSerializer):
    unit = UnitRefSerializer(read_only=True)
    submitted_by = PersonRefSerializer(read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "task",
            "unit",
            "percent",
            "done",
            "problems",
            "next_steps",
            "submitted_by",
            "submitted_at",
            "attachments",
        ]
        read_only_fields = fields


class ProgressReportCreateSerializer(InputSerializer):
    percent = serializers.IntegerField(min_value=0, max_value=100, label=_("完成进度(%)"))
    done = serializers.CharField(label=_("已完成工作"))
    problems = serializers.CharField(required=False, allow_blank=True, label=_("存在问题"))
    next_steps = serializers.CharField(required=False, allow_blank=True, label=_("下步计划"))
    lowering_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        label=_("进度下调原因"),
        help_text=_("填报的进度低于本单位当前进度时必须填写,否则返回 400。"),
    )
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, allow_empty=True, label=_("佐证材料")
    )


class MilestoneSerializer(StrictInputMixin, serializers.ModelSerializer):
    task = VisibleRelatedField(Task, _tasks, label=_("任务"))
    completed_by = PersonRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Milestone
        fields = ["id", "task", "title", "due_date", "done_on", "completed_by"]
        read_only_fields = ["done_on", "completed_by"]
        validators = []

    def update(self, instance, validated_data):  # pragma: no cover - writes go through services
        raise NotImplementedError


class MilestoneCompleteSerializer(InputSerializer):
    done_on = serializers.DateField(required=False, label=_("完成日期"))


class ExtensionRequestSerializer(serializers.ModelSerializer):
    requested_by = PersonRefSerializer(read_only=True)
    decided_by = PersonRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ExtensionRequest
        fields = [
            "id",
            "task",
            "reason",
            "current_deadline",
            "new_deadline",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_reason",
        ]
        read_only_fields = fields


class ExtensionRequestCreateSerializer(InputSerializer):
    new_deadline = serializers.DateField(label=_("申请延至"))
    reason = serializers.CharField(label=_("延期理由"))


class ExtensionDecisionSerializer(InputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, label=_("审批意见"))


class InstructionSerializer(StrictInputMixin, serializers.ModelSerializer):
    leader = PersonRefSerializer(read_only=True)

    class Meta:
        model = Instruction
        fields = ["id", "task", "leader", "text", "created_at"]
        read_only_fields = ["task", "leader", "created_at"]


class TaskEventSerializer(serializers.ModelSerializer):
    actor = PersonRefSerializer(read_only=True, allow_null=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    kind = serializers.ChoiceField(choices=EventKind.choices, read_only=True)
    before = serializers.JSONField(read_only=True)
    after = serializers.JSONField(read_only=True)

    class Meta:
        model = TaskEvent
        fields = ["id", "task", "kind", "kind_display", "actor", "at", "before", "after", "note"]
        read_only_fields = fields


# ---- Tokens ---------------------------------------------------------------------------------------------


class ApiTokenSerializer(StrictInputMixin, serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "read_only",
            "expires_at",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]
        read_only_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
        validators = []


class NewApiTokenSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text=_("令牌本身,只在创建时显示这一次。"))

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]


class PasswordTokenRequestSerializer(InputSerializer):
    username = serializers.CharField(label=_("用户名"))
    password = serializers.CharField(label=_("密码"), style={"input_type": "password"}, trim_whitespace=False)
    name = serializers.CharField(required=False, max_length=64, label=_("令牌名称"))
    read_only = serializers.BooleanField(required=False, default=False, label=_("只读"))
    expires_at = serializers.DateTimeField(required=False, allow_null=True, label=_("过期时间"))


# ---- Imports ---------------------------------------------------------------------------------------------
# The preview is stored as JSON (ImportBatch.preview, built by tasks.imports); these serializers only
# describe it for the schema.


class ImportCountsSerializer(serializers.Serializer):
    rows = serializers.IntegerField(help_text=_("数据行数(空行不计)。"))
    create = serializers.IntegerField(help_text=_("将新建的任务数。"))
    update = serializers.IntegerField(help_text=_("将修改的任务数。"))
    unchanged = serializers.IntegerField(help_text=_("与系统一致、不作改动的任务数。"))
    error = serializers.IntegerField(help_text=_("有问题的行数。"))


class ImportProblemSerializer(serializers.Serializer):
    cell = serializers.CharField(help_text=_("单元格,如 D14。"))
    row = serializers.IntegerField(help_text=_("行号。"))
    message = serializers.CharField(help_text=_("问题说明,以单元格开头。"))


class ImportMilestoneSerializer(serializers.Serializer):
    title = serializers.CharField()
    due_date = serializers.DateField()


class ImportRowSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text=_("文件中的行号。"))
    action = serializers.ChoiceField(
        choices=["create", "update", "unchanged", "error"], help_text=_("导入时对这一行的处理。")
    )
    task_id = serializers.IntegerField(allow_null=True, help_text=_("匹配到的已有任务。"))
    code = serializers.CharField(allow_blank=True)
    title = serializers.CharField(allow_blank=True)
    special_action = serializers.CharField(allow_blank=True)
    lead_unit = serializers.CharField(allow_blank=True)
    cooperating_units = serializers.ListField(child=serializers.CharField())
    responsible_leader = serializers.CharField(allow_blank=True)
    start_date = serializers.CharField(allow_blank=True, help_text=_("YYYY-MM-DD,无法识别时为空。"))
    deadline = serializers.CharField(allow_blank=True, help_text=_("YYYY-MM-DD,无法识别时为空。"))
    milestones = ImportMilestoneSerializer(many=True)
    changes = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(allow_blank=True)),
        help_text=_("修改的字段:[修改前, 修改后]。"),
    )
    problems = serializers.ListField(child=serializers.CharField())


class ImportPreviewSerializer(serializers.Serializer):
    filename = serializers.CharField()
    sha256 = serializers.CharField()
    sheet = serializers.CharField(help_text=_("读取的工作表。"))
    header_row = serializers.IntegerField(help_text=_("表头所在行。"))
    columns = serializers.DictField(child=serializers.CharField(), help_text=_("列字母 → 识别出的列名。"))
    ignored_columns = serializers.ListField(
        child=serializers.CharField(), help_text=_("未识别、已忽略的列。")
    )
    counts = ImportCountsSerializer()
    new_special_actions = serializers.ListField(
        child=serializers.CharField(), help_text=_("导入时将新建的专项行动。")
    )
    problems = ImportProblemSerializer(many=True)
    rows = ImportRowSerializer(many=True)


class ImportBatchSerializer(serializers.ModelSerializer):
    """An uploaded task list without its rows (the list of uploads)."""

    uploaded_by = PersonRefSerializer(read_only=True)
    committed_by = PersonRefSerializer(read_only=True, allow_null=True)
    counts = serializers.SerializerMethodField()
    can_commit = serializers.BooleanField(read_only=True, help_text=_("没有任何问题且尚未导入。"))

    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "campaign",
            "filename",
            "sha256",
            "status",
            "uploaded_by",
            "uploaded_at",
            "committed_by",
            "committed_at",
            "counts",
            "can_commit",
        ]
        read_only_fields = fields

    @extend_schema_field(ImportCountsSerializer)
    def get_counts(self, batch) -> dict:
        return batch.counts


class ImportBatchDetailSerializer(ImportBatchSerializer):
    """An uploaded task list with its preview: every row and every problem."""

    preview = serializers.SerializerMethodField()

    class Meta(ImportBatchSerializer.Meta):
        fields = [*ImportBatchSerializer.Meta.fields, "preview"]
        read_only_fields = fields

    @extend_schema_field(ImportPreviewSerializer)
    def get_preview(self, batch) -> dict:
        return batch.preview


class ImportCreateSerializer(InputSerializer):
    file = serializers.FileField(label=_("文件"), help_text=_("任务清单 .xlsx,不超过 10 MB、5000 行。"))
    campaign = VisibleRelatedField(Campaign, _campaigns, label=_("冬季行动"))


class ImportTemplateQuerySerializer(InputSerializer):
    campaign = VisibleRelatedField(Campaign, _campaigns, label=_("冬季行动"))
