"""Who is reminded of what, and when (催办提醒): the daily scan and the hand chase.

The scan runs once a working day at REMINDER_SEND_TIME (CELERY_BEAT_SCHEDULE in winteraction/settings.py;
`manage.py scan_reminders` for operators and tests). Each rule is ONE `INSERT … SELECT … ON CONFLICT
DO NOTHING` into Notification, whatever the number of tasks: the rows come from a queryset, and the
unique `key` (rule, subject, audience, deadline, step) makes a second scan, two scans at once (on
PostgreSQL they also queue on an advisory lock), or a job run twice a no-op; an extended deadline
starts its reminders afresh. Then three statements copy the day's notifications into the inboxes of the people
concerned and three more make the outside deliveries (the outbox); the deliveries are published to
the broker after commit (supervision/outbox.py). A fixed number of queries per scan.

The rules, per campaign (ReminderPolicy; the defaults in brackets), on day D, for tasks not started
or in progress (the clock runs only there):

- due soon: the deadline is at most `due_soon_first` [3] days away → the lead unit and the
  cooperating units; again at `due_soon_second` [1]. A step missed on a non-working day is sent on
  the next working day unless the next step has come (then only that one);
- overdue: from the first day past the deadline → the lead unit and the responsible leader,
  again every `overdue_repeat_days` [3] days while it stays overdue (the step is
  (days overdue − 1) ÷ 3, so a repeat that fell on a holiday goes out on the next working day);
- digest: every supervision group whose scope covers a task overdue `escalate_after_days` [3] days
  or more (or an order overdue as long) gets one digest a day (per group and day) listing all of
  them, the newest escalations first (supervision/messages.py writes it);
- no report: a task in progress whose lead unit has not reported for `stale_report_days` [7] days
  (counted from the last report, or from the start date) → the lead unit, once per such stretch;
- milestones: an open milestone due within `due_soon_second` [1] day, or overdue (first day, then
  every `overdue_repeat_days`) → the task's lead unit;
- supervision orders (not closed out): due soon at 3 and 1 days → the addressed unit; overdue
  (first day, then every 3 days) → the addressed unit and the issuing group. Orders belong to no
  campaign: the default policy applies;
- indicators (指标填报): from `remind_days_before` [3] days before the campaign's reporting day
  (IndicatorSchedule.reporting_day [5]) up to that day, every working day, the previous month's
  figure still missing → its responsible unit (预计) and its source unit (实际), once a day each.

Nothing is sent on a non-working day (supervision/workdays.py). A supervision member may also chase
one task or order by hand (supervision.services.chase_task and chase_order): at once, to the unit,
on the timeline, through `materialize` and the outbox as the scan does.
"""

import datetime

from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    DateField,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, TruncDate
from django.db.models.lookups import StartsWith
from django.utils import timezone

from tasks.flags import DayNumber
from tasks.models import (
    RUNNING_STATUSES,
    Campaign,
    FigureKind,
    Indicator,
    IndicatorFigure,
    IndicatorSchedule,
    Milestone,
    ProgressReport,
    Role,
    Task,
    TaskCooperation,
    TaskStatus,
)

from . import outbox, workdays
from .models import (
    Channel,
    Delivery,
    InboxItem,
    Notification,
    OrderStatus,
    ReminderPolicy,
    ReminderRule,
    SupervisionGroup,
    SupervisionOrder,
)
from .selectors import (
    ORDER_POLICY,
    POLICY,
    as_int,
    day_number,
    orders_escalated_on,
    running_tasks_q,
    tasks_escalated_on,
)

INBOX_ROLES = (Role.UNIT_OFFICIAL, Role.OFFICE)


# ---- INSERT … SELECT ------------------------------------------------------------------------------


def insert_select(model, columns: dict, queryset: QuerySet) -> int:
    """INSERT INTO model (columns) SELECT … FROM queryset ON CONFLICT DO NOTHING, in one statement.

    `columns` maps the model's field names to expressions over the queryset's rows. Returns the
    number of rows inserted (0 when every key already existed).
    """
    aliases = {f"wa_{name}": expression for name, expression in columns.items()}
    rows = queryset.order_by().annotate(**aliases).values(*aliases)
    sql, params = rows.query.sql_with_params()
    quote = connection.ops.quote_name
    names = ", ".join(quote(model._meta.get_field(name).column) for name in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({names}) {sql} ON CONFLICT DO NOTHING", params
        )
        return max(cursor.rowcount, 0)


def _text(expression) -> Cast:
    return Cast(expression, output_field=CharField())


def _key(*parts) -> Concat:
    """The dedupe key: literal strings and expressions joined, e.g. overdue:t12:u3:d20703:0. The
    deadline (as a day number) is part of it: an extended deadline is announced and chased afresh."""
    values = [Value(part) if isinstance(part, str) else _text(part) for part in parts]
    return Concat(*values, output_field=CharField())


def _notification_columns(rule: str, day: datetime.date, key, step, **subject) -> dict:
    return {
        "key": key,
        "rule": Value(rule, output_field=CharField()),
        "day": Value(day, output_field=DateField()),
        "step": step,
        "created_at": Value(timezone.now(), output_field=DateTimeField()),
        **subject,
    }


# ---- The rules ------------------------------------------------------------------------------------


def _due_soon(day: datetime.date) -> int:
    """Lead units and cooperating units of tasks whose deadline is near (two steps)."""
    inserted = 0
    for prefix, source, audience in (
        ("", Task.objects.all(), "lead_unit_id"),
        ("task__", TaskCooperation.objects.all(), "unit_id"),
    ):
        first, second = F(f"{prefix}{POLICY}due_soon_first"), F(f"{prefix}{POLICY}due_soon_second")
        rows = source.filter(running_tasks_q(prefix)).alias(
            left=as_int(DayNumber(f"{prefix}deadline") - day_number(day))
        )
        rows = rows.filter(left__gte=0, left__lte=first).alias(
            wa_step=Case(When(left__lte=second, then=second), default=first, output_field=IntegerField())
        )
        task = F(f"{prefix}id") if prefix == "" else F("task_id")
        deadline = DayNumber(f"{prefix}deadline")
        inserted += insert_select(
            Notification,
            _notification_columns(
                ReminderRule.DUE_SOON,
                day,
                _key("due_soon:t", task, ":u", F(audience), ":d", deadline, ":", F("wa_step")),
                F("wa_step"),
                task=task,
                unit=F(audience),
            ),
            rows,
        )
    return inserted


def _overdue(day: datetime.date) -> int:
    """Lead units and responsible leaders of overdue tasks: day 1, then every N days."""
    rows = (
        Task.objects.filter(running_tasks_q(), deadline__lt=day)
        .alias(late=as_int(day_number(day) - DayNumber("deadline")))
        .alias(wa_step=as_int((F("late") - 1) / F(f"{POLICY}overdue_repeat_days")))
    )
    inserted = 0
    for audience, field, label in (("unit", "lead_unit_id", ":u"), ("person", "responsible_leader_id", ":p")):
        inserted += insert_select(
            Notification,
            _notification_columns(
                ReminderRule.OVERDUE,
                day,
                _key("overdue:t", F("id"), label, F(field), ":d", DayNumber("deadline"), ":", F("wa_step")),
                F("wa_step"),
                task=F("id"),
                **{audience: F(field)},
            ),
            rows.filter(**{f"{field}__isnull": False}),
        )
    return inserted


def in_group_scope(items: QuerySet, unit_field: str, group_ref: str, *, special_actions: bool) -> QuerySet:
    """Items whose unit lies at or under one of the group's scope units (for tasks, also inside the
    group's special actions when it is limited to some). `group_ref` names the group's id in the
    outer query (an OuterRef path)."""
    Scope = SupervisionGroup.scope_units.through
    # Paths are materialized (/1/5/12/): the item's unit path starts with the scope unit's path.
    covering = Scope.objects.filter(supervisiongroup=OuterRef(OuterRef(group_ref))).filter(
        StartsWith(OuterRef(f"{unit_field}__path"), F("unit__path"))
    )
    items = items.filter(Exists(covering))
    if special_actions:
        Actions = SupervisionGroup.scope_special_actions.through
        limited = Actions.objects.filter(supervisiongroup=OuterRef(OuterRef(group_ref)))
        items = items.filter(
            ~Exists(limited) | Exists(limited.filter(specialaction=OuterRef("special_action")))
        )
    return items


def _digest(day: datetime.date) -> int:
    """One digest per supervision group and day, when its scope holds an item overdue long enough."""
    groups = SupervisionGroup.objects.filter(is_active=True)
    tasks = in_group_scope(tasks_escalated_on(day), "lead_unit", "pk", special_actions=True)
    orders = in_group_scope(orders_escalated_on(day), "unit", "pk", special_actions=False)
    groups = groups.filter(Exists(tasks) | Exists(orders))
    return insert_select(
        Notification,
        _notification_columns(
            ReminderRule.DIGEST,
            day,
            _key("digest:g", F("id"), ":", Value(day.isoformat())),
            Value(0),
            group=F("id"),
        ),
        groups,
    )


def _stale_reports(day: datetime.date) -> int:
    """Tasks in progress whose lead unit has been silent for N days: once per silent stretch."""
    last_report = (
        ProgressReport.objects.filter(task=OuterRef("pk"), unit=OuterRef("lead_unit"))
        .order_by("-submitted_at")
        .annotate(day_number=DayNumber(TruncDate("submitted_at", tzinfo=timezone.get_default_timezone())))
        .values("day_number")[:1]
    )
    rows = (
        Task.objects.filter(status=TaskStatus.IN_PROGRESS, **{f"{POLICY}enabled": True})
        .alias(since=Coalesce(Subquery(last_report, output_field=IntegerField()), DayNumber("start_date")))
        .alias(silent=as_int(day_number(day) - F("since")))
        .filter(silent__gte=F(f"{POLICY}stale_report_days"))
    )
    return insert_select(
        Notification,
        _notification_columns(
            ReminderRule.STALE_REPORT,
            day,
            _key("stale:t", F("id"), ":u", F("lead_unit_id"), ":", F("since")),
            F("since"),
            task=F("id"),
            unit=F("lead_unit_id"),
        ),
        rows,
    )


def _milestones(day: datetime.date) -> int:
    policy = f"task__{POLICY}"
    rows = Milestone.objects.filter(done_on__isnull=True, **{"task__status__in": RUNNING_STATUSES}).filter(
        **{f"{policy}enabled": True}
    )
    rows = rows.alias(left=as_int(DayNumber("due_date") - day_number(day)))
    due = rows.filter(left__gte=0, left__lte=F(f"{policy}due_soon_second"))
    late = rows.filter(left__lt=0).alias(wa_step=as_int((-F("left") - 1) / F(f"{policy}overdue_repeat_days")))
    inserted = insert_select(
        Notification,
        _notification_columns(
            ReminderRule.MILESTONE_DUE,
            day,
            _key("milestone_due:m", F("id"), ":u", F("task__lead_unit_id"), ":d", DayNumber("due_date")),
            Value(0),
            task=F("task_id"),
            milestone=F("id"),
            unit=F("task__lead_unit_id"),
        ),
        due,
    )
    inserted += insert_select(
        Notification,
        _notification_columns(
            ReminderRule.MILESTONE_OVERDUE,
            day,
            _key(
                "milestone_overdue:m",
                F("id"),
                ":u",
                F("task__lead_unit_id"),
                ":d",
                DayNumber("due_date"),
                ":",
                F("wa_step"),
            ),
            F("wa_step"),
            task=F("task_id"),
            milestone=F("id"),
            unit=F("task__lead_unit_id"),
        ),
        late,
    )
    return inserted


def _orders(day: datetime.date) -> int:
    policy = ORDER_POLICY
    rows = SupervisionOrder.objects.exclude(status=OrderStatus.CLOSED).alias(
        left=as_int(DayNumber("deadline") - day_number(day))
    )
    due = rows.filter(left__gte=0, left__lte=policy.due_soon_first).alias(
        wa_step=Case(
            When(left__lte=policy.due_soon_second, then=Value(policy.due_soon_second)),
            default=Value(policy.due_soon_first),
            output_field=IntegerField(),
        )
    )
    inserted = insert_select(
        Notification,
        _notification_columns(
            ReminderRule.ORDER_DUE,
            day,
            _key("order_due:o", F("id"), ":u", F("unit_id"), ":d", DayNumber("deadline"), ":", F("wa_step")),
            F("wa_step"),
            order=F("id"),
            unit=F("unit_id"),
        ),
        due,
    )
    late = rows.filter(left__lt=0).alias(wa_step=as_int((-F("left") - 1) / Value(policy.overdue_repeat_days)))
    # A rectified order waits on the issuing group's verification, not on the unit: like a task awaiting
    # close-out, the unit is not chased for it; the group still is.
    for audience, field, label, orders in (
        ("unit", "unit_id", ":u", late.exclude(status=OrderStatus.RECTIFIED)),
        ("group", "group_id", ":g", late),
    ):
        inserted += insert_select(
            Notification,
            _notification_columns(
                ReminderRule.ORDER_OVERDUE,
                day,
                _key(
                    "order_overdue:o",
                    F("id"),
                    label,
                    F(field),
                    ":d",
                    DayNumber("deadline"),
                    ":",
                    F("wa_step"),
                ),
                F("wa_step"),
                order=F("id"),
                **{audience: F(field)},
            ),
            orders,
        )
    return inserted


def _month_start(day: datetime.date, back: int = 0) -> datetime.date:
    """The first day of `day`'s month, or of the month `back` months before it."""
    index = day.year * 12 + day.month - 1 - back
    return datetime.date(index // 12, index % 12 + 1, 1)


def _days_in_month(day: datetime.date) -> int:
    return (_month_start(day, back=-1) - _month_start(day)).days


# The calendar's defaults, for a campaign that has no IndicatorSchedule row.
_SCHEDULE = "campaign__indicator_schedule__"
REPORTING_DAY = IndicatorSchedule._meta.get_field("reporting_day").default
REMIND_DAYS_BEFORE = IndicatorSchedule._meta.get_field("remind_days_before").default
INDICATOR_AUDIENCES = (
    (FigureKind.EXPECTED, "responsible_unit_id"),
    (FigureKind.ACTUAL, "source_unit_id"),
)


def _indicators_due(day: datetime.date) -> int:
    """The units whose figure of the month being reported is still missing, from `remind_days_before`
    days before the campaign's reporting day up to the day itself: once a day per indicator, month,
    kind and unit (the key). Two cases, each with its month a constant: the reporting day is in
    `day`'s month (the previous month is due) or in the next one (`day`'s own month is due)."""
    reporting_day = Coalesce(F(f"{_SCHEDULE}reporting_day"), Value(REPORTING_DAY))
    before = Coalesce(F(f"{_SCHEDULE}remind_days_before"), Value(REMIND_DAYS_BEFORE))
    indicators = Indicator.objects.filter(**{f"{POLICY}enabled": True}).alias(
        wa_reporting_day=reporting_day, wa_before=before
    )
    this_month = indicators.filter(wa_reporting_day__gte=day.day).alias(
        wa_step=as_int(F("wa_reporting_day") - Value(day.day))
    )
    next_month = indicators.filter(wa_reporting_day__lt=day.day).alias(
        wa_step=as_int(F("wa_reporting_day") + Value(_days_in_month(day) - day.day))
    )
    inserted = 0
    for rows, month in ((this_month, _month_start(day, back=1)), (next_month, _month_start(day))):
        # Only the campaign's months are reported (a campaign from 11-17 reports November).
        rows = rows.filter(
            wa_step__lte=F("wa_before"),
            campaign__start_date__lt=_month_start(month, back=-1),
            campaign__end_date__gte=month,
        )
        for kind, audience in INDICATOR_AUDIENCES:
            reported = IndicatorFigure.objects.filter(indicator=OuterRef("pk"), month=month, kind=kind)
            inserted += insert_select(
                Notification,
                _notification_columns(
                    ReminderRule.INDICATOR_DUE,
                    day,
                    _key(
                        "indicator_due:i",
                        F("id"),
                        f":m{month:%Y-%m}:{kind}:u",
                        F(audience),
                        f":{day.isoformat()}",
                    ),
                    F("wa_step"),
                    indicator=F("id"),
                    unit=F(audience),
                ),
                rows.filter(~Exists(reported)),
            )
    return inserted


# ---- Inboxes and deliveries -----------------------------------------------------------------------


def materialize(notifications: Q) -> None:
    """Copy the chosen notifications into inboxes and the outbox (six statements)."""
    chosen = Notification.objects.filter(notifications)
    # Timestamps come from the application's clock, like every other row the app writes: the
    # database's clock may differ, and a delivery stamped in the future would wait for it.
    now = Value(timezone.now(), output_field=DateTimeField())
    # In-app: the unit's officials, the person, the group's members (active accounts only). The
    # conditions on a multi-valued relation go in ONE filter() so that they hold for the same person
    # (separate calls would join the people twice: an inactive official would get the item).
    for people, condition in (
        ("unit__people", {"unit__people__is_active": True, "unit__people__role__in": INBOX_ROLES}),
        ("person", {"person__is_active": True}),
        ("group__members", {"group__members__is_active": True}),
    ):
        insert_select(
            InboxItem,
            {"notification": F("id"), "person": F(f"{people}__id"), "created_at": now},
            chosen.filter(**condition),
        )
    # Outside channels: the unit's and the group's endpoints, the person's email address.
    stamps = {"next_attempt_at": now, "created_at": now, "updated_at": now}
    for owner in ("unit", "group"):
        rows = chosen.filter(**{f"{owner}__endpoints__enabled": True})
        insert_select(
            Delivery,
            {
                "notification": F("id"),
                "channel": F(f"{owner}__endpoints__channel"),
                "endpoint": F(f"{owner}__endpoints__id"),
                "address": F(f"{owner}__endpoints__address"),
                **stamps,
            },
            rows,
        )
    rows = chosen.filter(person__is_active=True).exclude(person__email="")
    insert_select(
        Delivery,
        {
            "notification": F("id"),
            "channel": Value(Channel.EMAIL, output_field=CharField()),
            "address": F("person__email"),
            **stamps,
        },
        rows,
    )


def ensure_policies() -> int:
    """Every campaign has its policy row (the defaults), so the rules can join it."""
    missing = Campaign.objects.filter(reminder_policy__isnull=True)
    return insert_select(ReminderPolicy, {"campaign": F("id")}, missing)


RULES = (_due_soon, _overdue, _digest, _stale_reports, _milestones, _orders, _indicators_due)

# pg_advisory_xact_lock key ("WA" + 1): one scan at a time.
SCAN_LOCK = 0x5741_0001


def _one_scan_at_a_time() -> None:
    """Two scans at once (a job delivered twice, an operator's command during the beat's) would
    insert the same keys; ON CONFLICT keeps them single, but two statements meeting the same keys in
    different orders could deadlock. On PostgreSQL the second scan waits for the first to commit,
    then finds everything there. (SQLite lets one writer in at a time anyway.)"""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SCAN_LOCK])


def scan(day: datetime.date | None = None, *, publish: bool = True) -> dict:
    """The day's reminders: every rule, the inboxes and the outbox, in one transaction; the new
    deliveries are published after commit. Returns {"day", "working_day", "notifications"}."""
    day = day or timezone.localdate()
    if not workdays.is_working_day(day):
        return {"day": day, "working_day": False, "notifications": 0}
    with transaction.atomic():
        _one_scan_at_a_time()
        ensure_policies()
        created = sum(rule(day) for rule in RULES)
        materialize(Q(day=day))
        if publish:
            outbox.publish_on_commit(Q(notification__day=day))
    return {"day": day, "working_day": True, "notifications": created}
