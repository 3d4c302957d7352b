"""Campaigns, special actions, units, people, tasks and everything that happens to a task.

Invariants live in the database as constraints; every write goes through
`tasks.services`, which also records the task's timeline (`TaskEvent`).
"""

import datetime
import hashlib
import re
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# ---- Units -------------------------------------------------------------------------


class UnitKind(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    COUNTY = "county", _("县(市、区)")
    DEPARTMENT = "department", _("县直单位")
    TOWNSHIP = "township", _("乡镇")
    DEV_ZONE = "dev_zone", _("开发区")
    ENTERPRISE = "enterprise", _("重点企业")


REGION_KINDS = (UnitKind.PROVINCE, UnitKind.CITY, UnitKind.COUNTY)


class Unit(models.Model):
    """A responsible unit or a region, in one tree (province → city → county → departments, townships …).

    `path` is a materialized path of primary keys ("/1/7/42/"), so "everything under
    this county" is one indexed prefix match. `unit_create` sets it.
    """

    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("上级单位")
    )
    kind = models.CharField(_("类型"), max_length=16, choices=UnitKind.choices)
    name = models.CharField(_("简称"), max_length=64)
    full_name = models.CharField(_("全称"), max_length=128)
    path = models.CharField(_("路径"), max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(_("层级"), default=0, editable=False)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    aliases = models.TextField(
        _("别名"),
        blank=True,
        default="",
        help_text=_("导入清单时也认作本单位的名称,每行一个或用“、”分隔,例如 县应急局。"),
    )

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"],
                name="unit_name_unique_among_siblings",
                violation_error_message=_("同一上级单位下已有同名单位。"),
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(parent__isnull=True),
                name="unit_root_name_unique",
                violation_error_message=_("已有同名的顶级单位。"),
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=False) | Q(kind__in=[k.value for k in REGION_KINDS]),
                name="unit_root_is_region",
                violation_error_message=_("只有省、市、县可以作为顶级单位。"),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_region(self) -> bool:
        return self.kind in REGION_KINDS

    @property
    def alias_list(self) -> list[str]:
        """The aliases, one per line or separated by 、 (blank ones dropped)."""
        return [part.strip() for part in re.split(r"[\n、]", self.aliases or "") if part.strip()]

    @property
    def ancestor_ids(self) -> list[int]:
        """Primary keys from the root down to this unit, itself included."""
        return [int(part) for part in self.path.strip("/").split("/") if part]


# ---- People ------------------------------------------------------------------------


class Role(models.TextChoices):
    OFFICE = "office", _("督查室")
    LEADER = "leader", _("领导")
    INSPECTOR = "inspector", _("督导组成员")
    UNIT_OFFICIAL = "unit_official", _("单位填报员")
    READONLY = "readonly", _("只读")


class PersonManager(UserManager):
    def get_queryset(self):
        return super().get_queryset().select_related("unit")


class Person(AbstractUser):
    """A user of the system: belongs to one unit, holds a position and a role."""

    unit = models.ForeignKey(
        Unit, models.PROTECT, null=True, blank=True, related_name="people", verbose_name=_("所在单位")
    )
    position = models.CharField(_("职务"), max_length=64, blank=True)
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.UNIT_OFFICIAL)
    charged_units = models.ManyToManyField(
        Unit,
        through="LeaderCharge",
        related_name="leaders",
        blank=True,
        verbose_name=_("分管/包联单位"),
    )

    objects = PersonManager()

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=False) | Q(is_superuser=True),
                name="person_has_unit",
                violation_error_message=_("除超级管理员外,每个人员都必须属于一个单位。"),
            ),
        ]

    def __str__(self):
        label = self.position or self.get_username()
        return f"{self.unit.name}{label}" if self.unit_id and self.position else label


class ChargeKind(models.TextChoices):
    IN_CHARGE = "in_charge", _("分管")
    LIAISON = "liaison", _("包联")


class LeaderCharge(models.Model):
    """A leader answers for a unit (分管 a department, 包联 a township)."""

    leader = models.ForeignKey(Person, models.CASCADE, related_name="charges", verbose_name=_("领导"))
    unit = models.ForeignKey(Unit, models.CASCADE, related_name="charges", verbose_name=_("单位"))
    kind = models.CharField(_("方式"), max_length=16, choices=ChargeKind.choices)

    class Meta:
        verbose_name = _("分管/包联")
        verbose_name_plural = _("分管/包联")
        constraints = [
            models.UniqueConstraint(
                fields=["leader", "unit", "kind"],
                name="leader_charge_unique",
                violation_error_message=_("该领导已分管/包联此单位。"),
            )
        ]

    def __str__(self):
        return f"{self.leader} {self.get_kind_display()} {self.unit}"


# ---- Campaigns and special actions -------------------------------------------------


class CampaignStatus(models.TextChoices):
    PLANNING = "planning", _("筹备中")
    ACTIVE = "active", _("进行中")
    FINISHED = "finished", _("已结束")


class Campaign(models.Model):
    """A Winter Action: a time-boxed push owned by a city or a county."""

    owner = models.ForeignKey(Unit, models.PROTECT, related_name="campaigns", verbose_name=_("组织单位"))
    name = models.CharField(_("名称"), max_length=128)
    code = models.CharField(_("编号前缀"), max_length=16, help_text=_("任务编号的前缀,例如 HD(洪洞)。"))
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    status = models.CharField(
        _("状态"), max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.ACTIVE
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("冬季行动")
        verbose_name_plural = _("冬季行动")
        ordering = ["-start_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="campaign_ends_after_start",
                violation_error_message=_("结束日期不能早于开始日期。"),
            ),
            models.UniqueConstraint(
                fields=["owner", "name"],
                name="campaign_name_unique_per_owner",
                violation_error_message=_("该单位已有同名的行动。"),
            ),
        ]

    def __str__(self):
        return self.name


class SpecialAction(models.Model):
    """A theme inside a campaign (安全生产专项行动), run by a task force (专班)."""

    campaign = models.ForeignKey(
        Campaign, models.PROTECT, related_name="special_actions", verbose_name=_("冬季行动")
    )
    name = models.CharField(_("名称"), max_length=128)
    code = models.CharField(_("编号"), max_length=16, help_text=_("任务编号的中段,例如 AQ(安全生产)。"))
    lead_leader = models.ForeignKey(
        Person, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("牵头领导")
    )
    lead_unit = models.ForeignKey(
        Unit, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("牵头单位")
    )
    task_force = models.ManyToManyField(
        Person, blank=True, related_name="task_forces", verbose_name=_("专班成员")
    )
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("专项行动")
        verbose_name_plural = _("专项行动")
        ordering = ["campaign", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "code"],
                name="special_action_code_unique",
                violation_error_message=_("本次行动中已有相同编号的专项行动。"),
            ),
            models.UniqueConstraint(
                fields=["campaign", "name"],
                name="special_action_name_unique",
                violation_error_message=_("本次行动中已有同名的专项行动。"),
            ),
        ]

    def __str__(self):
        return self.name


# ---- Tasks ---------------------------------------------------------------------------


class TaskStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("未开始")
    IN_PROGRESS = "in_progress", _("推进中")
    AWAITING_CLOSE = "awaiting_close", _("待销号")
    CLOSED = "closed", _("已销号")
    CANCELLED = "cancelled", _("已撤销")


# Statuses in which the clock runs: overdue, due soon and behind apply only here.
RUNNING_STATUSES = (TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS)
OPEN_STATUSES = (TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS, TaskStatus.AWAITING_CLOSE)


class Priority(models.IntegerChoices):
    NORMAL = 2, _("一般")
    HIGH = 1, _("重点")
    URGENT = 0, _("紧急")


class TaskQuerySet(models.QuerySet):
    def with_flags(self, today: datetime.date | None = None):
        """Annotate `is_overdue`, `is_due_soon`, `is_behind` (the same rules as `Task.flags_on`)."""
        from .flags import flag_annotations

        return self.annotate(**flag_annotations(today or timezone.localdate()))


class Task(models.Model):
    campaign = models.ForeignKey(Campaign, models.PROTECT, related_name="tasks", verbose_name=_("冬季行动"))
    special_action = models.ForeignKey(
        SpecialAction, models.PROTECT, related_name="tasks", verbose_name=_("专项行动")
    )
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="subtasks", verbose_name=_("上级任务")
    )
    code = models.CharField(_("编号"), max_length=32)
    title = models.CharField(_("任务名称"), max_length=200)
    description = models.TextField(_("任务内容"), blank=True)
    target = models.TextField(_("目标/预期成效"), blank=True)
    lead_unit = models.ForeignKey(Unit, models.PROTECT, related_name="led_tasks", verbose_name=_("牵头单位"))
    cooperating_units = models.ManyToManyField(
        Unit,
        through="TaskCooperation",
        through_fields=("task", "unit"),
        related_name="cooperating_tasks",
        blank=True,
        verbose_name=_("配合单位"),
    )
    responsible_leader = models.ForeignKey(
        Person,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="responsible_tasks",
        verbose_name=_("责任领导"),
    )
    start_date = models.DateField(_("开始日期"))
    deadline = models.DateField(_("完成时限"))
    original_deadline = models.DateField(
        _("原定时限"), null=True, blank=True, help_text=_("批准延期后保留的最初时限。")
    )
    priority = models.PositiveSmallIntegerField(
        _("优先级"), choices=Priority.choices, default=Priority.NORMAL
    )
    progress = models.PositiveSmallIntegerField(_("进度(%)"), default=0)
    status = models.CharField(
        _("状态"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.NOT_STARTED
    )
    returned = models.BooleanField(
        _("被退回"), default=False, help_text=_("督查室退回销号申请后标记,直到再次申请销号。")
    )
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    closed_late = models.BooleanField(_("逾期销号"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("任务")
        verbose_name_plural = _("任务")
        ordering = ["deadline", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "code"],
                name="task_code_unique_in_campaign",
                violation_error_message=_("本次行动中已有相同编号的任务。"),
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100),
                name="task_progress_0_100",
                violation_error_message=_("进度必须在 0 到 100 之间。"),
            ),
            models.CheckConstraint(
                condition=Q(deadline__gte=F("start_date")),
                name="task_deadline_not_before_start",
                violation_error_message=_("完成时限不能早于开始日期。"),
            ),
            models.CheckConstraint(
                condition=Q(status=TaskStatus.CLOSED, closed_at__isnull=False)
                | (~Q(status=TaskStatus.CLOSED) & Q(closed_at__isnull=True, closed_late=False)),
                name="task_closed_at_iff_closed",
                violation_error_message=_("只有已销号的任务才有销号时间。"),
            ),
            # The target of TaskCooperation's composite foreign key (migration 0003).
            models.UniqueConstraint(fields=["id", "lead_unit"], name="task_id_lead_unit_unique"),
            models.CheckConstraint(
                condition=~Q(parent=F("id")),
                name="task_not_own_parent",
                violation_error_message=_("任务不能是自己的上级任务。"),
            ),
        ]
        indexes = [
            models.Index(fields=["lead_unit", "status", "deadline"], name="task_unit_status_deadline"),
            # Counts by status or flag over a city's or a province's tasks read the index alone: the lead
            # unit is there for the scope's join (docs/benchmarks.md).
            models.Index(fields=["status", "deadline"], include=["lead_unit"], name="task_status_deadline"),
            models.Index(fields=["updated_at", "id"], name="task_updated"),
            # The lists' default order: a page of a large scope, whatever the filter, is its first rows.
            models.Index(fields=["deadline", "code", "id"], name="task_deadline_code"),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    def flags_on(self, today: datetime.date | None = None) -> dict[str, bool]:
        from .flags import task_flags

        return task_flags(self, today or timezone.localdate())


class TaskCooperation(models.Model):
    """A cooperating unit on a task.

    `lead_unit` repeats the task's lead unit so that the database itself refuses a unit
    that is both lead and cooperating. On PostgreSQL a composite foreign key
    (task, lead_unit) → task (id, lead_unit) with ON UPDATE CASCADE keeps the copy equal to
    the task's lead unit, whoever changes it (migration 0003); SQLite relies on `task_assign`.
    """

    task = models.ForeignKey(Task, models.CASCADE, related_name="cooperations")
    unit = models.ForeignKey(Unit, models.PROTECT, related_name="cooperations", verbose_name=_("配合单位"))
    lead_unit = models.ForeignKey(Unit, models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("配合单位")
        verbose_name_plural = _("配合单位")
        constraints = [
            models.UniqueConstraint(
                fields=["task", "unit"],
                name="task_cooperation_unique",
                violation_error_message=_("该单位已是此任务的配合单位。"),
            ),
            models.CheckConstraint(
                condition=~Q(unit=F("lead_unit")),
                name="cooperating_unit_is_not_lead",
                violation_error_message=_("牵头单位不能同时是配合单位。"),
            ),
        ]

    def __str__(self):
        return f"{self.task_id}: {self.unit}"


class Milestone(models.Model):
    """An intermediate date inside a task (节点), worked back from the deadline."""

    task = models.ForeignKey(Task, models.CASCADE, related_name="milestones", verbose_name=_("任务"))
    title = models.CharField(_("节点"), max_length=200)
    due_date = models.DateField(_("节点时限"))
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    completed_by = models.ForeignKey(
        Person, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("确认人")
    )

    class Meta:
        verbose_name = _("节点")
        verbose_name_plural = _("节点")
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "title"],
                name="milestone_title_unique_in_task",
                violation_error_message=_("该任务已有同名节点。"),
            ),
            models.CheckConstraint(
                condition=Q(done_on__isnull=True) | Q(completed_by__isnull=False),
                name="milestone_done_has_person",
                violation_error_message=_("已完成的节点必须记录确认人。"),
            ),
        ]

    def __str__(self):
        return self.title


class ProgressReport(models.Model):
    """What a unit reports (进度填报); only the lead unit's percent moves the task's progress."""

    task = models.ForeignKey(Task, models.CASCADE, related_name="progress_reports", verbose_name=_("任务"))
    unit = models.ForeignKey(
        Unit, models.PROTECT, related_name="progress_reports", verbose_name=_("填报单位")
    )
    percent = models.PositiveSmallIntegerField(_("完成进度(%)"))
    done = models.TextField(_("已完成工作"))
    problems = models.TextField(_("存在问题"), blank=True)
    next_steps = models.TextField(_("下步计划"), blank=True)
    submitted_by = models.ForeignKey(Person, models.PROTECT, related_name="+", verbose_name=_("填报人"))
    submitted_at = models.DateTimeField(_("填报时间"), default=timezone.now)

    class Meta:
        verbose_name = _("进度填报")
        verbose_name_plural = _("进度填报")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__gte=0, percent__lte=100),
                name="progress_report_percent_0_100",
                violation_error_message=_("进度必须在 0 到 100 之间。"),
            ),
        ]
        indexes = [models.Index(fields=["task", "unit", "-submitted_at"], name="report_task_unit_time")]

    def __str__(self):
        return f"{self.task.code} {self.unit} {self.percent}%"


def attachment_path(instance, filename):
    """A random name under MEDIA_ROOT: the original name is kept in the row, never on disk."""
    suffix = Path(filename).suffix.lower()[:10]
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    """Evidence (佐证材料): a photo or document on a task, usually with a progress report."""

    task = models.ForeignKey(Task, models.CASCADE, related_name="attachments", verbose_name=_("任务"))
    progress_report = models.ForeignKey(
        ProgressReport,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("进度填报"),
    )
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=200)
    # For photos: a small thumbnail for galleries and a copy at most 1600 px on its longest side.
    thumbnail = models.FileField(_("缩略图"), upload_to=attachment_path, max_length=200, blank=True)
    web_copy = models.FileField(_("网页尺寸副本"), upload_to=attachment_path, max_length=200, blank=True)
    original_name = models.CharField(_("原文件名"), max_length=255)
    size = models.PositiveBigIntegerField(_("大小(字节)"))
    content_type = models.CharField(_("类型"), max_length=128)
    uploaded_by = models.ForeignKey(Person, models.PROTECT, related_name="+", verbose_name=_("上传人"))
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")


class ExtensionRequest(models.Model):
    """延期申请: the lead unit asks for a later deadline; the supervision office decides."""

    task = models.ForeignKey(Task, models.CASCADE, related_name="extension_requests", verbose_name=_("任务"))
    requested_by = models.ForeignKey(Person, models.PROTECT, related_name="+", verbose_name=_("申请人"))
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    reason = models.TextField(_("延期理由"))
    current_deadline = models.DateField(_("原时限"))
    new_deadline = models.DateField(_("申请延至"))
    status = models.CharField(
        _("状态"), max_length=16, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    decided_by = models.ForeignKey(
        Person, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("审批人")
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_reason = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(new_deadline__gt=F("current_deadline")),
                name="extension_moves_deadline_later",
                violation_error_message=_("申请的新时限必须晚于当前时限。"),
            ),
            models.UniqueConstraint(
                fields=["task"],
                condition=Q(status=ExtensionStatus.PENDING),
                name="one_pending_extension_per_task",
                violation_error_message=_("该任务已有一条待审批的延期申请。"),
            ),
            models.CheckConstraint(
                condition=Q(status=ExtensionStatus.PENDING, decided_at__isnull=True)
                | (
                    ~Q(status=ExtensionStatus.PENDING) & Q(decided_at__isnull=False, decided_by__isnull=False)
                ),
                name="extension_decision_recorded",
                violation_error_message=_("审批结果必须记录审批人和时间。"),
            ),
        ]

    def __str__(self):
        return f"{self.task.code} → {self.new_deadline}"


class Instruction(models.Model):
    """批示: a leader's written instruction on a task."""

    task = models.ForeignKey(Task, models.CASCADE, related_name="instructions", verbose_name=_("任务"))
    leader = models.ForeignKey(
        Person, models.PROTECT, related_name="instructions", verbose_name=_("批示领导")
    )
    text = models.TextField(_("批示内容"))
    created_at = models.DateTimeField(_("批示时间"), default=timezone.now)

    class Meta:
        verbose_name = _("领导批示")
        verbose_name_plural = _("领导批示")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.leader}: {self.text[:20]}"


# ---- Timeline ------------------------------------------------------------------------


class EventKind(models.TextChoices):
    CREATED = "created", _("创建任务")
    UPDATED = "updated", _("修改任务")
    ASSIGNED = "assigned", _("调整责任")
    PROGRESS_REPORTED = "progress_reported", _("填报进度")
    MILESTONE_ADDED = "milestone_added", _("新增节点")
    MILESTONE_DONE = "milestone_done", _("完成节点")
    ATTACHMENT_ADDED = "attachment_added", _("上传附件")
    EXTENSION_REQUESTED = "extension_requested", _("申请延期")
    EXTENSION_APPROVED = "extension_approved", _("批准延期")
    EXTENSION_REJECTED = "extension_rejected", _("驳回延期")
    INSTRUCTION_WRITTEN = "instruction_written", _("领导批示")
    STATUS_CHANGED = "status_changed", _("状态变更")
    CLOSE_REQUESTED = "close_requested", _("申请销号")
    RETURNED = "returned", _("退回")
    CLOSED = "closed", _("销号")
    CANCELLED = "cancelled", _("撤销")
    ORDER_ISSUED = "order_issued", _("下发督办单")
    ORDER_CLOSED = "order_closed", _("督办单销号")
    CHASED = "chased", _("催办")


class TaskEvent(models.Model):
    """One immutable row on a task's timeline, written by the service that made the change."""

    task = models.ForeignKey(Task, models.PROTECT, related_name="events", verbose_name=_("任务"))
    kind = models.CharField(_("事件"), max_length=32, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    before = models.JSONField(_("变更前"), default=dict, blank=True)
    after = models.JSONField(_("变更后"), default=dict, blank=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("任务动态")
        verbose_name_plural = _("任务动态")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["task", "at"], name="event_task_at"),
            # The dashboard's "on time" asks for each closed task when its close-out was requested: one
            # probe of this small index instead of a walk through the task's whole timeline.
            models.Index(
                fields=["task", "at"], condition=Q(kind="close_requested"), name="event_close_requested"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


# ---- Indicators ------------------------------------------------------------------------------


class IndicatorKind(models.TextChoices):
    CUMULATIVE = "cumulative", _("累计值")
    GROWTH = "growth", _("增速")


class Indicator(models.Model):
    """A monthly economic indicator (主要经济指标) of a campaign: a responsible unit answers for it, a
    data-source unit (统计局) gives and confirms the actual figure. See tasks/indicators.py."""

    campaign = models.ForeignKey(
        Campaign, models.PROTECT, related_name="indicators", verbose_name=_("冬季行动")
    )
    name = models.CharField(_("指标名称"), max_length=128)
    measure = models.CharField(_("计量单位"), max_length=16, help_text=_("例如 亿元、元、%。"))
    kind = models.CharField(_("指标类型"), max_length=16, choices=IndicatorKind.choices)
    responsible_unit = models.ForeignKey(
        Unit, models.PROTECT, related_name="indicators", verbose_name=_("责任单位")
    )
    source_unit = models.ForeignKey(
        Unit, models.PROTECT, related_name="sourced_indicators", verbose_name=_("数据来源单位")
    )
    annual_target = models.DecimalField(_("年度目标"), max_digits=16, decimal_places=4, null=True, blank=True)
    tasks = models.ManyToManyField(Task, blank=True, related_name="indicators", verbose_name=_("相关任务"))
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("指标")
        verbose_name_plural = _("指标")
        ordering = ["campaign", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "name"],
                name="indicator_name_unique_in_campaign",
                violation_error_message=_("本次行动中已有同名的指标。"),
            ),
        ]

    def __str__(self):
        return self.name


class IndicatorTarget(models.Model):
    """The target of one month (月度目标): for a cumulative indicator the amount by the month's end."""

    indicator = models.ForeignKey(Indicator, models.CASCADE, related_name="targets", verbose_name=_("指标"))
    month = models.DateField(_("月份"), help_text=_("该月的第一天。"))
    target = models.DecimalField(_("目标值"), max_digits=16, decimal_places=4)

    class Meta:
        verbose_name = _("月度目标")
        verbose_name_plural = _("月度目标")
        ordering = ["indicator", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "month"],
                name="indicator_target_unique_month",
                violation_error_message=_("该指标本月已有目标。"),
            ),
            models.CheckConstraint(
                condition=Q(month__day=1),
                name="indicator_target_month_first_day",
                violation_error_message=_("月份必须是该月的第一天。"),
            ),
        ]

    def __str__(self):
        return f"{self.indicator} {self.month:%Y-%m} {self.target}"


class FigureKind(models.TextChoices):
    EXPECTED = "expected", _("预计")
    ACTUAL = "actual", _("实际")


class IndicatorFigure(models.Model):
    """A month's figure: expected (预计, by the responsible unit) or actual (实际, by the source unit).

    Once the source unit confirms it, it changes only through a correction (IndicatorFigureRevision)."""

    indicator = models.ForeignKey(Indicator, models.CASCADE, related_name="figures", verbose_name=_("指标"))
    month = models.DateField(_("月份"), help_text=_("该月的第一天。"))
    kind = models.CharField(_("数据类型"), max_length=16, choices=FigureKind.choices)
    value = models.DecimalField(_("数值"), max_digits=16, decimal_places=4)
    gap_reason = models.TextField(_("差距原因"), blank=True)
    measures = models.TextField(_("措施"), blank=True)
    reported_by = models.ForeignKey(Person, models.PROTECT, related_name="+", verbose_name=_("填报人"))
    reported_at = models.DateTimeField(_("填报时间"), default=timezone.now)
    confirmed_by = models.ForeignKey(
        Person, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("确认人")
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("指标数据")
        verbose_name_plural = _("指标数据")
        ordering = ["indicator", "month", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "month", "kind"],
                name="indicator_figure_unique",
                violation_error_message=_("该指标本月已有这一类数据。"),
            ),
            models.CheckConstraint(
                condition=Q(month__day=1),
                name="indicator_figure_month_first_day",
                violation_error_message=_("月份必须是该月的第一天。"),
            ),
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True, confirmed_at__isnull=True)
                | Q(confirmed_by__isnull=False, confirmed_at__isnull=False),
                name="indicator_figure_confirmation_recorded",
                violation_error_message=_("确认必须同时记录确认人和时间。"),
            ),
        ]
        indexes = [models.Index(fields=["month", "kind"], name="indicator_figure_month_kind")]

    def __str__(self):
        return f"{self.indicator} {self.month:%Y-%m} {self.get_kind_display()} {self.value}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class IndicatorFigureRevision(models.Model):
    """One change of a figure after its first report: an update before confirmation (no reason needed)
    or a correction of a confirmed figure (with its reason). Append-only."""

    figure = models.ForeignKey(
        IndicatorFigure, models.CASCADE, related_name="revisions", verbose_name=_("指标数据")
    )
    value_before = models.DecimalField(_("原数值"), max_digits=16, decimal_places=4)
    value_after = models.DecimalField(_("新数值"), max_digits=16, decimal_places=4)
    gap_reason_before = models.TextField(_("原差距原因"), blank=True)
    gap_reason_after = models.TextField(_("新差距原因"), blank=True)
    measures_before = models.TextField(_("原措施"), blank=True)
    measures_after = models.TextField(_("新措施"), blank=True)
    correction = models.BooleanField(_("更正已确认数据"), default=False)
    reason = models.TextField(_("更正理由"), blank=True)
    by = models.ForeignKey(Person, models.PROTECT, related_name="+", verbose_name=_("操作人"))
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("指标数据修改记录")
        verbose_name_plural = _("指标数据修改记录")
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(correction=False) | ~Q(reason=""),
                name="indicator_revision_correction_has_reason",
                violation_error_message=_("更正已确认的数据必须说明理由。"),
            ),
        ]

    def __str__(self):
        return f"{self.figure} {self.value_before} → {self.value_after}"


class IndicatorSchedule(models.Model):
    """A campaign's reporting calendar: the previous month's figures are due on `reporting_day`."""

    campaign = models.OneToOneField(
        Campaign, models.CASCADE, related_name="indicator_schedule", verbose_name=_("冬季行动")
    )
    reporting_day = models.PositiveSmallIntegerField(
        _("报送日"), default=5, help_text=_("每月几号前报送上月数据(1–28)。")
    )
    remind_days_before = models.PositiveSmallIntegerField(_("提前提醒天数"), default=3)

    class Meta:
        verbose_name = _("指标报送安排")
        verbose_name_plural = _("指标报送安排")
        constraints = [
            models.CheckConstraint(
                condition=Q(reporting_day__gte=1, reporting_day__lte=28),
                name="indicator_schedule_day_1_28",
                violation_error_message=_("报送日必须在 1 到 28 之间。"),
            ),
        ]

    def __str__(self):
        return f"{self.campaign} {self.reporting_day}"


# ---- Imports ---------------------------------------------------------------------------------


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("已预览")
    COMMITTED = "committed", _("已导入")


class ImportBatch(models.Model):
    """An uploaded task list (清单.xlsx): its bytes, the plan made from them, and whether it was committed.

    The preview is what the office reads before committing; the commit plans again from `content`
    (the tasks may have changed in between) and writes through the services. See tasks/imports.py.
    """

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="imports", verbose_name=_("冬季行动"))
    uploaded_by = models.ForeignKey(Person, models.PROTECT, related_name="+", verbose_name=_("上传人"))
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    filename = models.CharField(_("文件名"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content = models.BinaryField(_("文件内容"))
    status = models.CharField(
        _("状态"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    preview = models.JSONField(_("预览"), default=dict, blank=True)
    counts = models.JSONField(_("统计"), default=dict, blank=True)
    committed_at = models.DateTimeField(_("导入时间"), null=True, blank=True)
    committed_by = models.ForeignKey(
        Person, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("导入人")
    )

    class Meta:
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="previewed", committed_at__isnull=True)
                | Q(status="committed", committed_at__isnull=False, committed_by__isnull=False),
                name="import_batch_committed_recorded",
                violation_error_message=_("已导入的批次必须记录导入人和时间。"),
            ),
        ]

    def __str__(self):
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def problems(self) -> list[dict]:
        return (self.preview or {}).get("problems", [])

    @property
    def can_commit(self) -> bool:
        """Previewed, with no error row and no problem at all."""
        counts = (self.preview or {}).get("counts", {})
        return self.status == ImportStatus.PREVIEWED and not counts.get("error") and not self.problems


# ---- API access ------------------------------------------------------------------------------


def token_digest(plain: str) -> str:
    """What is stored of a token. Tokens are 256-bit random, so a plain SHA-256 is enough (no slow hash)."""
    return hashlib.sha256(plain.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def for_key(self, plain: str) -> "ApiToken | None":
        """The token whose plain text is `plain`, with its user and the user's unit (every request reads
        the unit to decide access): one query."""
        return self.select_related("user__unit").filter(digest=token_digest(plain)).first()


class ApiToken(models.Model):
    """A named API token. Only a SHA-256 digest of the token is stored: a database dump
    yields nothing that authenticates. The plain token is shown once, at creation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="api_tokens", verbose_name=_("用户")
    )
    name = models.CharField(_("名称"), max_length=64)
    prefix = models.CharField(_("前缀"), max_length=12, help_text=_("令牌开头几位,用于辨认。"))
    digest = models.CharField(_("摘要"), max_length=64, unique=True, editable=False)
    read_only = models.BooleanField(_("只读"), default=False)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                condition=Q(revoked_at__isnull=True),
                name="api_token_name_unique_per_user",
                violation_error_message=_("你已有一个同名的有效令牌。"),
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class IdempotencyKey(models.Model):
    """The answer to a write sent with an `Idempotency-Key` header, so a retried push applies once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    key = models.CharField(max_length=128)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body")
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("幂等键")
        verbose_name_plural = _("幂等键")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user"),
        ]

    def __str__(self):
        return self.key


# ---- Audit log ---------------------------------------------------------------------------------


class AuditKind(models.TextChoices):
    SIGNED_IN = "signed_in", _("登录")
    SIGN_IN_FAILED = "sign_in_failed", _("登录失败")
    SIGNED_OUT = "signed_out", _("退出")
    LOCKED_OUT = "locked_out", _("账号锁定")
    PASSWORD_CHANGED = "password_changed", _("修改密码")
    EXPORTED = "exported", _("导出")
    TOKEN_CREATED = "token_created", _("创建令牌")
    TOKEN_REVOKED = "token_revoked", _("吊销令牌")


class AuditEntry(models.Model):
    """Who signed in, failed to, or took data out: for the supervision office to read."""

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    kind = models.CharField(_("事件"), max_length=32, choices=AuditKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("用户"),
    )
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    unit = models.ForeignKey(
        Unit, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("单位")
    )
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["unit", "-at"], name="audit_unit_at")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.username} {self.at:%Y-%m-%d %H:%M}"
