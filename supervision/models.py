"""Supervision groups (督导检查组) and their scopes. Their work (inspections, orders) comes later."""

import uuid

from django.db import models
from django.db.models import Q
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tasks.models import Person, SpecialAction, Unit, attachment_path


class SupervisionGroup(models.Model):
    """A numbered city group sent to a county, or a county's 两办 group sent to townships and departments.

    Its scope is a set of units (everything under each) and, optionally, special actions:
    with special actions set, the group covers only their tasks inside those units.
    """

    name = models.CharField(_("名称"), max_length=128)
    issuing_unit = models.ForeignKey(
        Unit, models.PROTECT, related_name="issued_groups", verbose_name=_("派出单位")
    )
    leader = models.ForeignKey(
        Person, models.PROTECT, null=True, blank=True, related_name="led_groups", verbose_name=_("组长")
    )
    members = models.ManyToManyField(
        Person, blank=True, related_name="supervision_groups", verbose_name=_("成员")
    )
    scope_units = models.ManyToManyField(
        Unit, related_name="supervising_groups", verbose_name=_("督导范围(单位)")
    )
    scope_special_actions = models.ManyToManyField(
        SpecialAction, blank=True, related_name="supervising_groups", verbose_name=_("督导范围(专项行动)")
    )
    order_prefix = models.CharField(
        _("督办单文号前缀"),
        max_length=16,
        blank=True,
        help_text=_("例如“洪督”,督办单编号为 洪督〔2026〕12号。"),
    )
    is_active = models.BooleanField(_("在岗"), default=True)

    class Meta:
        verbose_name = _("督导检查组")
        verbose_name_plural = _("督导检查组")
        ordering = ["issuing_unit__path", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuing_unit", "name"],
                name="supervision_group_name_unique",
                violation_error_message=_("该单位已有同名的督导检查组。"),
            )
        ]

    def __str__(self):
        return self.name


# ---- Inspections -------------------------------------------------------------------------------


class InspectionKind(models.TextChoices):
    ON_SITE = "on_site", _("实地督查")
    SPOT_CHECK = "spot_check", _("重点抽查")
    FOLLOW_UP = "follow_up", _("跟踪督办")
    SYMPOSIUM = "symposium", _("座谈会")


class Inspection(models.Model):
    """督查记录: a group's visit or review, with what it found."""

    group = models.ForeignKey(
        SupervisionGroup, models.PROTECT, related_name="inspections", verbose_name=_("督导检查组")
    )
    kind = models.CharField(_("方式"), max_length=16, choices=InspectionKind.choices)
    date = models.DateField(_("日期"))
    units_visited = models.ManyToManyField(
        Unit, blank=True, related_name="inspections", verbose_name=_("检查单位")
    )
    tasks_checked = models.ManyToManyField(
        "tasks.Task", blank=True, related_name="inspections", verbose_name=_("检查任务")
    )
    summary = models.TextField(_("情况概述"))
    created_by = models.ForeignKey(Person, models.PROTECT, related_name="+", verbose_name=_("记录人"))
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("督查记录")
        verbose_name_plural = _("督查记录")
        ordering = ["-date", "-id"]

    def __str__(self):
        return f"{self.group} {self.get_kind_display()} {self.date}"


class Finding(models.Model):
    """A problem found in an inspection, about one unit (and perhaps one task)."""

    inspection = models.ForeignKey(
        Inspection, models.CASCADE, related_name="findings", verbose_name=_("督查记录")
    )
    unit = models.ForeignKey(Unit, models.PROTECT, related_name="findings", verbose_name=_("涉及单位"))
    task = models.ForeignKey(
        "tasks.Task",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("涉及任务"),
    )
    text = models.TextField(_("发现问题"))

    class Meta:
        verbose_name = _("发现问题")
        verbose_name_plural = _("发现问题")
        ordering = ["inspection", "id"]

    def __str__(self):
        return self.text[:30]


# ---- Supervision orders --------------------------------------------------------------------------


class Urgency(models.TextChoices):
    BLUE = "blue", _("蓝色(一般)")
    YELLOW = "yellow", _("黄色(紧急)")
    RED = "red", _("红色(特急)")


class OrderStatus(models.TextChoices):
    ISSUED = "issued", _("已下发")
    ACKNOWLEDGED = "acknowledged", _("已签收")
    RECTIFIED = "rectified", _("已反馈整改")
    CLOSED = "closed", _("已销号")


class OrderSequence(models.Model):
    """The last number a group used in a year. Locked while an order is issued, so numbers are
    gapless and never repeat: the order and its number commit (or roll back) together."""

    group = models.ForeignKey(SupervisionGroup, models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "year"], name="order_sequence_unique")]

    def __str__(self):
        return f"{self.group_id}/{self.year}: {self.last}"


class SupervisionOrder(models.Model):
    """督办单: a written order to a unit, with a deadline, from issue to close-out (销号)."""

    group = models.ForeignKey(
        SupervisionGroup, models.PROTECT, related_name="orders", verbose_name=_("督导检查组")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    sequence = models.PositiveIntegerField(_("序号"))
    number = models.CharField(_("文号"), max_length=48, help_text=_("如 洪督〔2026〕12号"))
    unit = models.ForeignKey(Unit, models.PROTECT, related_name="orders", verbose_name=_("承办单位"))
    cooperating_units = models.ManyToManyField(
        Unit, blank=True, related_name="cooperating_orders", verbose_name=_("协办单位")
    )
    tasks = models.ManyToManyField(
        "tasks.Task", blank=True, related_name="orders", verbose_name=_("相关任务")
    )
    finding = models.OneToOneField(
        Finding, models.PROTECT, null=True, blank=True, related_name="order", verbose_name=_("来源问题")
    )
    problem = models.TextField(_("存在问题"))
    requirement = models.TextField(_("督办要求"))
    deadline = models.DateField(_("整改时限"))
    urgency = models.CharField(_("督办等级"), max_length=8, choices=Urgency.choices, default=Urgency.BLUE)
    status = models.CharField(
        _("状态"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.ISSUED
    )
    returned = models.BooleanField(_("被退回"), default=False)
    issued_by = models.ForeignKey(Person, models.PROTECT, related_name="+", verbose_name=_("签发人"))
    issued_at = models.DateTimeField(_("下发时间"), default=timezone.now)
    rectification = models.TextField(_("整改情况"), blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("督办单")
        verbose_name_plural = _("督办单")
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "year", "sequence"],
                name="order_number_unique_per_group_year",
                violation_error_message=_("该督导组本年度已有相同编号的督办单。"),
            ),
            models.CheckConstraint(
                condition=Q(sequence__gte=1),
                name="order_sequence_positive",
                violation_error_message=_("督办单序号从 1 开始。"),
            ),
            models.CheckConstraint(
                condition=Q(status=OrderStatus.CLOSED, closed_at__isnull=False)
                | (~Q(status=OrderStatus.CLOSED) & Q(closed_at__isnull=True)),
                name="order_closed_at_iff_closed",
                violation_error_message=_("只有已销号的督办单才有销号时间。"),
            ),
        ]
        indexes = [models.Index(fields=["unit", "status", "deadline"], name="order_unit_status_deadline")]

    def __str__(self):
        return self.number


class OrderEventKind(models.TextChoices):
    ISSUED = "issued", _("下发")
    ACKNOWLEDGED = "acknowledged", _("签收")
    RECTIFIED = "rectified", _("反馈整改")
    CLOSED = "closed", _("验收销号")
    RETURNED = "returned", _("退回整改")
    CHASED = "chased", _("催办")


class OrderEvent(models.Model):
    """One immutable step on a supervision order's timeline."""

    order = models.ForeignKey(
        SupervisionOrder, models.PROTECT, related_name="events", verbose_name=_("督办单")
    )
    kind = models.CharField(_("事件"), max_length=16, choices=OrderEventKind.choices)
    actor = models.ForeignKey(Person, models.PROTECT, related_name="+", verbose_name=_("操作人"))
    at = models.DateTimeField(_("时间"), default=timezone.now)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("督办动态")
        verbose_name_plural = _("督办动态")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.order} {self.get_kind_display()}"


# ---- Red and yellow cards (红黄牌) -------------------------------------------------------------------


class CardKind(models.TextChoices):
    YELLOW = "yellow", _("黄牌")
    RED = "red", _("红牌")


class CardStatus(models.TextChoices):
    PROPOSED = "proposed", _("系统提议")
    ISSUED = "issued", _("已亮牌")
    DISMISSED = "dismissed", _("不予亮牌")
    LIFTED = "lifted", _("已撤牌")


# A card in these states stands against its unit: one of each kind at a time.
OPEN_CARD_STATUSES = (CardStatus.PROPOSED, CardStatus.ISSUED)


class Card(models.Model):
    """红黄牌: proposed by the system (supervision.services.cards_propose), then issued or dismissed by the
    supervision office with a reason; an issued card stands until the office lifts it.

    A yellow card answers for the overdue items whose deadline fell before `overdue_before`; a red card
    escalates one yellow card that stood unresolved too long (`escalated_from`)."""

    unit = models.ForeignKey(Unit, models.PROTECT, related_name="cards", verbose_name=_("单位"))
    kind = models.CharField(_("类型"), max_length=8, choices=CardKind.choices)
    status = models.CharField(
        _("状态"), max_length=16, choices=CardStatus.choices, default=CardStatus.PROPOSED
    )
    proposed_on = models.DateField(_("提议日期"))
    overdue_before = models.DateField(
        _("计入期限早于"),
        null=True,
        blank=True,
        help_text=_("黄牌:期限早于此日的逾期事项已计入。"),
    )
    overdue_tasks = models.PositiveIntegerField(_("逾期任务数"), default=0)
    overdue_orders = models.PositiveIntegerField(_("逾期督办单数"), default=0)
    escalated_from = models.OneToOneField(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="red_card",
        verbose_name=_("升级自黄牌"),
    )
    decided_by = models.ForeignKey(
        Person, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("决定人")
    )
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decision_reason = models.TextField(_("决定理由"), blank=True)
    lifted_by = models.ForeignKey(
        Person, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("撤牌人")
    )
    lifted_at = models.DateTimeField(_("撤牌时间"), null=True, blank=True)
    lift_reason = models.TextField(_("撤牌理由"), blank=True)

    class Meta:
        verbose_name = _("红黄牌")
        verbose_name_plural = _("红黄牌")
        ordering = ["-proposed_on", "-id"]
        constraints = [
            # Also what makes cards_propose idempotent: bulk_create(ignore_conflicts=True) skips a
            # unit that already has an open card of the kind.
            models.UniqueConstraint(
                fields=["unit", "kind"],
                condition=Q(status__in=["proposed", "issued"]),
                name="card_one_open_per_unit_kind",
                violation_error_message=_("该单位已有同类的待定或已亮出的牌。"),
            ),
            models.CheckConstraint(
                condition=Q(kind="yellow", escalated_from__isnull=True)
                | Q(kind="red", escalated_from__isnull=False),
                name="card_red_escalates_a_yellow",
                violation_error_message=_("红牌须由黄牌升级而来,黄牌不能由其他牌升级。"),
            ),
            models.CheckConstraint(
                condition=Q(status="proposed", decided_at__isnull=True)
                | (~Q(status="proposed") & Q(decided_at__isnull=False)),
                name="card_decided_at_iff_decided",
                violation_error_message=_("只有已决定的牌才有决定时间。"),
            ),
            models.CheckConstraint(
                condition=Q(status="lifted", lifted_at__isnull=False)
                | (~Q(status="lifted") & Q(lifted_at__isnull=True)),
                name="card_lifted_at_iff_lifted",
                violation_error_message=_("只有已撤牌的牌才有撤牌时间。"),
            ),
        ]
        indexes = [models.Index(fields=["unit", "status", "kind"], name="card_unit_status_kind")]

    def __str__(self):
        return f"{self.unit} {self.get_kind_display()}({self.get_status_display()})"


# ---- Evidence: inspection photos and rectification files ------------------------------------------


class SupervisionAttachment(models.Model):
    """A photo or document taken on an inspection (现场照片), or sent with a rectification report
    (整改佐证). Checked and copied like task evidence (tasks/evidence.py); stored under a random name."""

    inspection = models.ForeignKey(
        Inspection,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("督查记录"),
    )
    order = models.ForeignKey(
        SupervisionOrder,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("督办单"),
    )
    order_event = models.ForeignKey(
        OrderEvent,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("督办动态"),
        help_text=_("随哪一次整改反馈上传"),
    )
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=200)
    thumbnail = models.FileField(_("缩略图"), upload_to=attachment_path, max_length=200, blank=True)
    web_copy = models.FileField(_("网页尺寸副本"), upload_to=attachment_path, max_length=200, blank=True)
    original_name = models.CharField(_("原文件名"), max_length=255)
    size = models.PositiveBigIntegerField(_("大小(字节)"))
    content_type = models.CharField(_("类型"), max_length=128)
    uploaded_by = models.ForeignKey(Person, models.PROTECT, related_name="+", verbose_name=_("上传人"))
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("督查附件")
        verbose_name_plural = _("督查附件")
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(inspection__isnull=False, order__isnull=True, order_event__isnull=True)
                | Q(inspection__isnull=True, order__isnull=False),
                name="supervision_attachment_one_owner",
                violation_error_message=_("附件须属于一条督查记录或一张督办单。"),
            ),
        ]

    def __str__(self):
        return self.original_name


# ---- The ranking's formula (争先进位), per campaign ------------------------------------------------


class EmptyRate(models.TextChoices):
    RESCALE = "rescale", _("不计入,其余权重按比例折算")
    ZERO = "zero", _("按 0 分计")


class RankingPolicy(models.Model):
    """A campaign's ranking formula, published on the ranking page (one row per campaign; a campaign
    without one ranks by the defaults). Score = the weighted rates (weights summing to 100, so the best
    score is 100) minus points per overdue task, returned close-out and overdue 督办单."""

    campaign = models.OneToOneField(
        "tasks.Campaign", models.CASCADE, related_name="ranking_policy", verbose_name=_("行动")
    )
    on_time_weight = models.SmallIntegerField(_("按期完成率权重"), default=50, db_default=50)
    timeliness_weight = models.SmallIntegerField(_("填报及时率权重"), default=30, db_default=30)
    completion_weight = models.SmallIntegerField(_("完成率权重"), default=20, db_default=20)
    empty_rates = models.CharField(
        _("无可计算的比率"),
        max_length=8,
        choices=EmptyRate.choices,
        default=EmptyRate.RESCALE,
        db_default=EmptyRate.RESCALE,
        help_text=_("某项比率的分母为 0(如尚无到期任务)时如何计分;都无可计算时该单位暂不排名。"),
    )
    overdue_penalty = models.DecimalField(
        _("每个逾期任务扣分"), max_digits=4, decimal_places=1, default=3, db_default=3
    )
    returned_penalty = models.DecimalField(
        _("每次销号申请被退回扣分"), max_digits=4, decimal_places=1, default=2, db_default=2
    )
    overdue_order_penalty = models.DecimalField(
        _("每个逾期督办单扣分"), max_digits=4, decimal_places=1, default=2, db_default=2
    )
    updated_by = models.ForeignKey(
        Person, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("修改人")
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True, db_default=models.functions.Now())

    class Meta:
        verbose_name = _("排名规则")
        verbose_name_plural = _("排名规则")
        constraints = [
            models.CheckConstraint(
                condition=Q(on_time_weight__gte=0, timeliness_weight__gte=0, completion_weight__gte=0),
                name="ranking_weights_not_negative",
                violation_error_message=_("权重不能为负数。"),
            ),
            models.CheckConstraint(
                condition=Exact(
                    models.F("on_time_weight")
                    + models.F("timeliness_weight")
                    + models.F("completion_weight"),
                    100,
                ),
                name="ranking_weights_sum_100",
                violation_error_message=_("三项权重之和须为 100。"),
            ),
            models.CheckConstraint(
                condition=Q(overdue_penalty__gte=0, returned_penalty__gte=0, overdue_order_penalty__gte=0),
                name="ranking_penalties_not_negative",
                violation_error_message=_("扣分不能为负数。"),
            ),
        ]

    def __str__(self):
        return str(self.campaign) if self.campaign_id else str(_("默认排名规则"))


# ---- Weekly ranking snapshots ----------------------------------------------------------------------


class RankingSnapshot(models.Model):
    """A campaign's unit ranking in one region (a county, a city), frozen once a week, so last week's
    places can be shown beside this week's (up and down arrows)."""

    campaign = models.ForeignKey(
        "tasks.Campaign", models.CASCADE, related_name="ranking_snapshots", verbose_name=_("行动")
    )
    scope = models.ForeignKey(
        Unit, models.CASCADE, related_name="ranking_snapshots", verbose_name=_("排名范围")
    )
    week = models.DateField(_("周(周一)"), help_text=_("所属周的星期一"))
    taken_on = models.DateField(_("统计日"))
    taken_at = models.DateTimeField(_("生成时间"), default=timezone.now)

    class Meta:
        verbose_name = _("排名快照")
        verbose_name_plural = _("排名快照")
        ordering = ["-week", "campaign", "scope"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "scope", "week"],
                name="ranking_snapshot_one_per_week",
                violation_error_message=_("该范围本周的排名快照已存在。"),
            ),
        ]

    def __str__(self):
        return f"{self.campaign} {self.scope} {self.week}"


class RankingSnapshotRow(models.Model):
    """One unit's place and figures in a snapshot."""

    snapshot = models.ForeignKey(RankingSnapshot, models.CASCADE, related_name="rows", verbose_name=_("快照"))
    unit = models.ForeignKey(Unit, models.CASCADE, related_name="+", verbose_name=_("单位"))
    kind = models.CharField(_("单位类别"), max_length=16)
    rank = models.PositiveIntegerField(_("名次"))
    score = models.FloatField(_("得分"))
    figures = models.JSONField(_("指标"), default=dict)

    class Meta:
        verbose_name = _("排名快照行")
        verbose_name_plural = _("排名快照行")
        ordering = ["snapshot", "kind", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "unit"], name="ranking_snapshot_row_unique"),
            models.CheckConstraint(condition=Q(rank__gte=1), name="ranking_snapshot_rank_positive"),
        ]

    def __str__(self):
        return f"{self.snapshot} {self.rank}. {self.unit}"


# ---- Reminders and the outbox (催办提醒) ----------------------------------------------------------
# supervision/reminders.py decides who gets what (set-based, one INSERT … SELECT per rule, the unique
# `key` making every rule idempotent); supervision/outbox.py delivers. A Notification is one message
# to one audience (a unit, a person, a supervision group); an InboxItem is its in-app copy for one
# person; a Delivery is its trip through one outside channel (email, a WeCom or DingTalk robot).


class ReminderRule(models.TextChoices):
    DUE_SOON = "due_soon", _("临期提醒")
    OVERDUE = "overdue", _("逾期催办")
    DIGEST = "digest", _("督导组逾期日报")
    STALE_REPORT = "stale_report", _("进度填报提醒")
    MILESTONE_DUE = "milestone_due", _("节点临期")
    MILESTONE_OVERDUE = "milestone_overdue", _("节点逾期")
    ORDER_DUE = "order_due", _("督办单临期")
    ORDER_OVERDUE = "order_overdue", _("督办单逾期")
    CHASE = "chase", _("人工催办")
    INDICATOR_DUE = "indicator_due", _("指标填报提醒")
    # Handoffs (supervision/handoffs.py): work passing to someone, told at once, not by the scan.
    TASK_ASSIGNED = "task_assigned", _("任务交办")
    TASK_RETURNED = "task_returned", _("销号申请退回")
    EXTENSION_APPROVED = "extension_approved", _("延期已批准")
    EXTENSION_REJECTED = "extension_rejected", _("延期未批准")
    INSTRUCTION = "instruction", _("领导批示")
    ORDER_ISSUED = "order_issued", _("督办单下发")
    ORDER_RETURNED = "order_returned", _("整改退回")
    ORDER_RECTIFIED = "order_rectified", _("整改待验收")
    BULLETIN_ISSUED = "bulletin_issued", _("情况通报")


class ReminderPolicy(models.Model):
    """A campaign's reminder rules (one row per campaign; the defaults are the issue's)."""

    campaign = models.OneToOneField(
        "tasks.Campaign", models.CASCADE, related_name="reminder_policy", verbose_name=_("行动")
    )
    enabled = models.BooleanField(_("启用自动提醒"), default=True, db_default=True)
    due_soon_first = models.PositiveSmallIntegerField(_("第一次临期提醒(提前天数)"), default=3, db_default=3)
    due_soon_second = models.PositiveSmallIntegerField(_("第二次临期提醒(提前天数)"), default=1, db_default=1)
    overdue_repeat_days = models.PositiveSmallIntegerField(_("逾期后每隔几天再催"), default=3, db_default=3)
    escalate_after_days = models.PositiveSmallIntegerField(_("逾期几天起报督导组"), default=3, db_default=3)
    stale_report_days = models.PositiveSmallIntegerField(_("几天未填报进度提醒"), default=7, db_default=7)
    updated_by = models.ForeignKey(
        Person, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("修改人")
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True, db_default=models.functions.Now())

    class Meta:
        verbose_name = _("提醒规则")
        verbose_name_plural = _("提醒规则")
        constraints = [
            models.CheckConstraint(
                condition=Q(due_soon_first__gt=models.F("due_soon_second")),
                name="reminder_due_soon_order",
                violation_error_message=_("第一次临期提醒须早于第二次。"),
            ),
            models.CheckConstraint(
                condition=Q(overdue_repeat_days__gte=1, escalate_after_days__gte=1, stale_report_days__gte=1),
                name="reminder_days_positive",
                violation_error_message=_("天数须至少为 1。"),
            ),
        ]

    def __str__(self):
        return str(self.campaign)


class CalendarDay(models.Model):
    """A day that is not what its weekday says: a public holiday on a weekday, or a make-up working
    day (调休) at a weekend. Any other Monday–Friday is a working day. Filled from the `holidays`
    package per year, then editable by the supervision office."""

    date = models.DateField(_("日期"), unique=True)
    working = models.BooleanField(_("工作日"))
    name = models.CharField(_("名称"), max_length=64, blank=True)
    from_package = models.BooleanField(_("来自节假日数据"), default=False)

    class Meta:
        verbose_name = _("工作日历")
        verbose_name_plural = _("工作日历")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.name}"


class Channel(models.TextChoices):
    EMAIL = "email", _("电子邮件")
    WECOM = "wecom", _("企业微信群机器人")
    DINGTALK = "dingtalk", _("钉钉群机器人")
    WEBHOOK = "webhook", _("Webhook 推送")  # an integrator's endpoint (WebhookEndpoint), not a NotifyEndpoint


class NotifyEndpoint(models.Model):
    """Where a unit's or a supervision group's messages go besides the app: a mailbox, a robot."""

    unit = models.ForeignKey(
        Unit, models.CASCADE, null=True, blank=True, related_name="endpoints", verbose_name=_("单位")
    )
    group = models.ForeignKey(
        SupervisionGroup,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="endpoints",
        verbose_name=_("督导检查组"),
    )
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    address = models.CharField(_("地址"), max_length=500, help_text=_("邮箱地址,或机器人的 Webhook 地址"))
    secret = models.CharField(_("加签密钥"), max_length=200, blank=True, help_text=_("钉钉机器人“加签”密钥"))
    enabled = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("通知渠道")
        verbose_name_plural = _("通知渠道")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=False, group__isnull=True)
                | Q(unit__isnull=True, group__isnull=False),
                name="endpoint_one_owner",
                violation_error_message=_("通知渠道须属于一个单位或一个督导检查组。"),
            ),
            # One of unit and group is always NULL, and NULLs are distinct: one constraint per owner.
            models.UniqueConstraint(
                fields=["unit", "channel", "address"],
                condition=Q(group__isnull=True),
                name="endpoint_unique_per_unit",
                violation_error_message=_("已有相同的通知渠道。"),
            ),
            models.UniqueConstraint(
                fields=["group", "channel", "address"],
                condition=Q(unit__isnull=True),
                name="endpoint_unique_per_group",
                violation_error_message=_("已有相同的通知渠道。"),
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {self.address[:40]}"


class Notification(models.Model):
    """One message to one audience. `key` (rule, subject, audience, step) is unique: a second scan,
    two scans at once, or a job run twice never makes a second one."""

    key = models.CharField(_("去重键"), max_length=200, unique=True)
    rule = models.CharField(_("规则"), max_length=24, choices=ReminderRule.choices)
    day = models.DateField(_("日期"))
    step = models.IntegerField(_("序次"), default=0, db_default=0)
    task = models.ForeignKey(
        "tasks.Task",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("任务"),
    )
    milestone = models.ForeignKey(
        "tasks.Milestone",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("节点"),
    )
    order = models.ForeignKey(
        SupervisionOrder,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("督办单"),
    )
    # An indicator's reminder (指标填报提醒): the month and the kind are in its key, the days left
    # until the reporting day in its step.
    indicator = models.ForeignKey(
        "tasks.Indicator",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("指标"),
    )
    bulletin = models.ForeignKey(
        "Bulletin",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("情况通报"),
    )
    unit = models.ForeignKey(
        Unit, models.CASCADE, null=True, blank=True, related_name="notifications", verbose_name=_("接收单位")
    )
    person = models.ForeignKey(
        Person, models.CASCADE, null=True, blank=True, related_name="notifications", verbose_name=_("接收人")
    )
    group = models.ForeignKey(
        SupervisionGroup,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("接收督导组"),
    )
    note = models.TextField(_("附言"), blank=True, db_default="")
    created_by = models.ForeignKey(
        Person, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("催办人")
    )
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now, db_default=models.functions.Now())

    class Meta:
        verbose_name = _("提醒")
        verbose_name_plural = _("提醒")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=False, person__isnull=True, group__isnull=True)
                | Q(unit__isnull=True, person__isnull=False, group__isnull=True)
                | Q(unit__isnull=True, person__isnull=True, group__isnull=False),
                name="notification_one_audience",
                violation_error_message=_("提醒须只有一个接收方(单位、人员或督导组)。"),
            ),
        ]
        indexes = [models.Index(fields=["day", "rule"], name="notification_day_rule")]

    def __str__(self):
        return self.key


class InboxItem(models.Model):
    """A notification in one person's in-app inbox (the bell)."""

    notification = models.ForeignKey(
        Notification, models.CASCADE, related_name="inbox_items", verbose_name=_("提醒")
    )
    person = models.ForeignKey(Person, models.CASCADE, related_name="inbox", verbose_name=_("接收人"))
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_default=models.functions.Now())

    class Meta:
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["notification", "person"], name="inbox_item_unique")]
        indexes = [
            models.Index(fields=["person", "-created_at"], name="inbox_person_created"),
            models.Index(fields=["person"], condition=Q(read_at__isnull=True), name="inbox_person_unread"),
        ]

    def __str__(self):
        return f"{self.person_id}: {self.notification_id}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class Delivery(models.Model):
    """A notification's trip through one outside channel: the outbox row a delivery job works off."""

    # What goes out: a notification (email, robots), or a webhook event to an integrator's endpoint.
    notification = models.ForeignKey(
        Notification, models.CASCADE, null=True, blank=True, related_name="deliveries", verbose_name=_("提醒")
    )
    webhook_event = models.ForeignKey(
        "WebhookEvent",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("Webhook 事件"),
    )
    webhook = models.ForeignKey(
        "WebhookEndpoint",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("Webhook 地址"),
    )
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    endpoint = models.ForeignKey(
        NotifyEndpoint,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("通知渠道"),
    )
    address = models.CharField(_("地址"), max_length=500)
    state = models.CharField(
        _("状态"),
        max_length=8,
        choices=DeliveryState.choices,
        default=DeliveryState.PENDING,
        db_default=DeliveryState.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0, db_default=0)
    last_error = models.TextField(_("最近错误"), blank=True, default="", db_default="")
    next_attempt_at = models.DateTimeField(
        _("下次尝试"), default=timezone.now, db_default=models.functions.Now()
    )
    enqueued_at = models.DateTimeField(_("入队时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now, db_default=models.functions.Now())
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now, db_default=models.functions.Now())

    class Meta:
        verbose_name = _("发送记录")
        verbose_name_plural = _("发送记录")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel", "address"], name="delivery_unique"),
            models.UniqueConstraint(
                fields=["webhook_event", "webhook"],
                condition=Q(webhook_event__isnull=False),
                name="delivery_unique_webhook",
            ),
            models.CheckConstraint(
                condition=Q(notification__isnull=False, webhook_event__isnull=True, webhook__isnull=True)
                | Q(notification__isnull=True, webhook_event__isnull=False, webhook__isnull=False),
                name="delivery_notification_or_webhook_event",
                violation_error_message=_("发送记录须属于一条提醒或一个 Webhook 事件。"),
            ),
            models.CheckConstraint(
                condition=Q(state="sent", sent_at__isnull=False)
                | (~Q(state="sent") & Q(sent_at__isnull=True)),
                name="delivery_sent_at_iff_sent",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(state="pending"), name="delivery_pending_due"
            ),
            models.Index(fields=["state", "-updated_at"], name="delivery_state_updated"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.address[:40]} ({self.get_state_display()})"


# ---- Webhooks (outbound) ----------------------------------------------------------------------------
# supervision/webhooks.py records the events in the transaction of the change; the outbox sends them
# (channel "webhook"), signed with the endpoint's secret. docs/webhooks.md.


class WebhookEventType(models.TextChoices):
    TASK_CREATED = "task.created", _("任务创建")
    TASK_UPDATED = "task.updated", _("任务变更")
    TASK_CLOSED = "task.closed", _("任务销号")
    PROGRESS_REPORTED = "progress.reported", _("进度填报")
    ORDER_ISSUED = "order.issued", _("督办单下发")
    ORDER_CLOSED = "order.closed", _("督办单销号")
    BULLETIN_ISSUED = "bulletin.issued", _("情况通报印发")


class WebhookEndpoint(models.Model):
    """An integrator's HTTPS address that a region's office registers for some of its region's events."""

    region = models.ForeignKey(Unit, models.CASCADE, related_name="webhook_endpoints", verbose_name=_("地区"))
    url = models.CharField(_("地址"), max_length=500)
    secret = models.CharField(_("签名密钥"), max_length=100, editable=False)
    events = models.JSONField(_("订阅事件"), default=list)
    enabled = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        Person, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("创建人")
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("Webhook 地址")
        verbose_name_plural = _("Webhook 地址")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "url"],
                name="webhook_endpoint_unique_per_region",
                violation_error_message=_("本地区已有相同的 Webhook 地址。"),
            ),
        ]

    def __str__(self):
        return self.url[:60]


class WebhookEvent(models.Model):
    """One thing that happened, as integrators receive it; `uuid` is the idempotency id of every
    delivery of it (the same on each retry and each endpoint)."""

    uuid = models.UUIDField(_("事件编号"), unique=True, default=uuid.uuid4, editable=False)
    type = models.CharField(_("事件类型"), max_length=32, choices=WebhookEventType.choices)
    data = models.JSONField(_("内容"), default=dict)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("Webhook 事件")
        verbose_name_plural = _("Webhook 事件")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.type} {self.uuid}"


# ---- Bulletins (情况通报) ---------------------------------------------------------------------------
# supervision/bulletins.py builds the figures from the dashboard's selectors; the services in
# supervision/services/bulletins.py take a bulletin from draft to issued; supervision/bulletin_render.py
# renders the stored sections and figures (never live data) as .docx and PDF.


class BulletinKind(models.TextChoices):
    WEEKLY = "weekly", _("周报")
    MONTHLY = "monthly", _("月报")
    SPECIAL = "special", _("专报")


class BulletinStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SIGNED = "signed", _("已签发")
    ISSUED = "issued", _("已印发")
    DISCARDED = "discarded", _("已作废")


class BulletinCounter(models.Model):
    """The last number a region used for a kind of bulletin in a year. Locked while a bulletin is
    issued: numbers are gapless and never repeat, and a draft discarded never took one."""

    region = models.ForeignKey(Unit, models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=BulletinKind.choices)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["region", "kind", "year"], name="bulletin_counter_unique")
        ]

    def __str__(self):
        return f"{self.region_id}/{self.kind}/{self.year}: {self.last}"


class Bulletin(models.Model):
    """情况通报: a campaign's bulletin for one region (weekly, monthly or special), drafted from the data at
    its cutoff, edited by the office, signed by a leader, issued (numbered 第N期 and frozen)."""

    campaign = models.ForeignKey(
        "tasks.Campaign", models.PROTECT, related_name="bulletins", verbose_name=_("行动")
    )
    region = models.ForeignKey(Unit, models.PROTECT, related_name="bulletins", verbose_name=_("通报地区"))
    kind = models.CharField(_("类型"), max_length=16, choices=BulletinKind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    number = models.PositiveIntegerField(_("期号"), null=True, blank=True)
    period_start = models.DateField(_("通报期起"))
    period_end = models.DateField(_("通报期止"))
    cutoff = models.DateTimeField(_("统计截止时间"))
    status = models.CharField(
        _("状态"), max_length=16, choices=BulletinStatus.choices, default=BulletinStatus.DRAFT
    )
    title = models.CharField(_("标题"), max_length=200)
    sections = models.JSONField(_("正文"), default=list, help_text=_("各部分:key、heading、text"))
    figures = models.JSONField(_("数据"), default=dict, help_text=_("统计截止时的数据,印发后不再变化"))
    created_by = models.ForeignKey(Person, models.PROTECT, related_name="+", verbose_name=_("起草人"))
    created_at = models.DateTimeField(_("起草时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    signed_by = models.ForeignKey(
        Person, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("签发领导")
    )
    signed_at = models.DateTimeField(_("签发时间"), null=True, blank=True)
    issued_by = models.ForeignKey(
        Person, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("印发人")
    )
    issued_at = models.DateTimeField(_("印发时间"), null=True, blank=True)
    pdf = models.BinaryField(_("PDF 文件"), null=True, blank=True, editable=False)
    docx = models.BinaryField(_("Word 文件"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("情况通报")
        verbose_name_plural = _("情况通报")
        ordering = ["-year", "-number", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "kind", "year", "number"],
                condition=Q(number__isnull=False),
                name="bulletin_number_unique",
                violation_error_message=_("本地区本年度已有相同期号的同类通报。"),
            ),
            models.CheckConstraint(
                condition=~Q(status="issued")
                | Q(number__isnull=False, issued_at__isnull=False, signed_by__isnull=False),
                name="bulletin_issued_complete",
                violation_error_message=_("已印发的通报须有期号、印发时间和签发领导。"),
            ),
            models.CheckConstraint(
                condition=Q(status="issued") | Q(number__isnull=True),
                name="bulletin_number_only_issued",
                violation_error_message=_("只有已印发的通报才有期号。"),
            ),
            models.CheckConstraint(
                condition=Q(number__isnull=True) | Q(number__gte=1),
                name="bulletin_number_positive",
                violation_error_message=_("期号从 1 开始。"),
            ),
            models.CheckConstraint(
                condition=Q(period_start__lte=models.F("period_end")),
                name="bulletin_period_order",
                violation_error_message=_("通报期的开始日期不能晚于结束日期。"),
            ),
            models.CheckConstraint(
                condition=Q(signed_by__isnull=True, signed_at__isnull=True)
                | Q(signed_by__isnull=False, signed_at__isnull=False),
                name="bulletin_signed_by_iff_at",
                violation_error_message=_("签发领导和签发时间须同时填写。"),
            ),
        ]
        indexes = [models.Index(fields=["region", "status", "-created_at"], name="bulletin_region_status")]

    def __str__(self):
        if self.number:
            return _("%(title)s 第%(number)s期") % {"title": self.title, "number": self.number}
        return self.title


class BulletinEventKind(models.TextChoices):
    DRAFTED = "drafted", _("起草")
    REFRESHED = "refreshed", _("重新生成数据")
    EDITED = "edited", _("修改正文")
    SIGNED = "signed", _("签发")
    ISSUED = "issued", _("印发")
    DISCARDED = "discarded", _("作废")


class BulletinEvent(models.Model):
    """One immutable step in a bulletin's history."""

    bulletin = models.ForeignKey(Bulletin, models.CASCADE, related_name="events", verbose_name=_("情况通报"))
    kind = models.CharField(_("事件"), max_length=16, choices=BulletinEventKind.choices)
    actor = models.ForeignKey(Person, models.PROTECT, related_name="+", verbose_name=_("操作人"))
    at = models.DateTimeField(_("时间"), default=timezone.now)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("通报动态")
        verbose_name_plural = _("通报动态")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.bulletin_id} {self.get_kind_display()}"
