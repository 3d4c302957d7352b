"""Every write the domain knows about units, people, campaigns and tasks.

Each service runs in one transaction: it checks who may act, validates, writes, and
records the change on the task's timeline (`TaskEvent`). Views, the API, the admin,
management commands and jobs call these; nothing else writes the models.

A caller's mistake is a `ValidationError` (bad input), `PermissionDenied` (not
allowed) or `InvalidTransition` (not possible in the task's current status), each
with a message in the user's language.
"""

import datetime
import hashlib
import re
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import clock, evidence, permissions, seams
from .audit import record
from .models import (
    OPEN_STATUSES,
    REGION_KINDS,
    RUNNING_STATUSES,
    ApiToken,
    Attachment,
    AuditKind,
    Campaign,
    ChargeKind,
    EventKind,
    ExtensionRequest,
    ExtensionStatus,
    IdempotencyKey,
    Instruction,
    LeaderCharge,
    Milestone,
    Person,
    Priority,
    ProgressReport,
    Role,
    SpecialAction,
    Task,
    TaskCooperation,
    TaskEvent,
    TaskStatus,
    Unit,
    UnitKind,
    token_digest,
)


class InvalidTransition(ValidationError):
    """The task (or request) is not in a status that allows this step."""

    def __init__(self, message):
        super().__init__(message, code="invalid_transition")


UNCHANGED = object()  # "leave as it is", where None is a meaningful value (no responsible leader)


# ---- Shared checks ----------------------------------------------------------------------


def require_office_for(user: Person, unit: Unit, action: str) -> None:
    if not permissions.is_office_for(user, unit):
        raise PermissionDenied(_("只有本地区的督查室可以%(action)s。") % {"action": action})


def _require_member_of(user: Person, task: Task, action: str, *, cooperating: bool = False) -> None:
    """The user acts for the task's lead unit (or, with `cooperating`, for a cooperating unit)."""
    if not permissions.acts_for_unit(user):
        raise PermissionDenied(_("只有责任单位的填报人员可以%(action)s。") % {"action": action})
    if permissions.is_lead(user, task):
        return
    if cooperating and permissions.is_cooperating(user, task):
        return
    who = _("牵头单位或配合单位") if cooperating else _("牵头单位")
    raise PermissionDenied(_("只有该任务的%(who)s可以%(action)s。") % {"who": who, "action": action})


def require_text(value: str, field: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: _("请填写%(label)s。") % {"label": label}})
    return value


def _require_status(task: Task, allowed: Iterable[str], action: str) -> None:
    if task.status not in allowed:
        raise InvalidTransition(
            _("任务当前状态为“%(status)s”,不能%(action)s。")
            % {"status": task.get_status_display(), "action": action}
        )


def _locked(task: Task) -> Task:
    """The task's row, re-read and locked for the rest of the transaction."""
    return Task.objects.select_for_update().select_related("lead_unit", "campaign").get(pk=task.pk)


def _touch_parent(task: Task) -> None:
    """A subtask's progress or status changed: its parent's `rollup_progress` (the average of its
    subtasks' own progress) changed with it, so the parent's `updated_at` moves too and a sync client
    gets it. One UPDATE, under the subtask's lock. Grandparents are left alone: a rollup averages its
    subtasks' own `progress`, never their rollups, so nothing they show has changed."""
    if task.parent_id is not None:
        Task.objects.filter(pk=task.parent_id).update(updated_at=timezone.now())


def _touch_tasks(condition: Q) -> int:
    """Move `updated_at` of the tasks matching `condition` (one UPDATE): something they show that lives
    in another row (a unit's or a leader's name, a special action's) has changed, and a sync client
    must get them again."""
    return Task.objects.filter(condition).update(updated_at=timezone.now())


def _record(
    task: Task, kind: str, by: Person | None, *, before=None, after=None, note: str = ""
) -> TaskEvent:
    event = TaskEvent.objects.create(
        task=task, kind=kind, actor=by, at=clock.now(), before=before or {}, after=after or {}, note=note
    )
    seams.announce(seams.Change(task=task, event=event))  # supervision: outbound webhooks
    return event


def _hand_off(
    kind: str,
    task: Task,
    event: TaskEvent,
    *,
    units: Iterable[int | None] = (),
    cooperating: Iterable[int] = (),
    people: Iterable[int | None] = (),
    note: str = "",
    by: Person | None = None,
) -> None:
    """Work passed to someone: the listeners (tasks/seams.py; supervision tells the people at once)
    run inside this transaction, so a change that rolls back tells nobody."""
    handoff = seams.Handoff(
        kind=kind,
        task=task,
        event=event,
        units=tuple(pk for pk in dict.fromkeys(units) if pk is not None),
        cooperating=tuple(dict.fromkeys(cooperating)),
        people=tuple(pk for pk in dict.fromkeys(people) if pk is not None),
        note=note,
        by=by,
    )
    seams.tell(handoff)


def _snapshot(task: Task, *fields: str) -> dict:
    values = {}
    for name in fields:
        value = getattr(task, name)
        values[name] = value.isoformat() if isinstance(value, datetime.date | datetime.datetime) else value
    return values


# ---- Units and people --------------------------------------------------------------------


@transaction.atomic
def unit_create(
    *,
    by: Person | None,
    name: str,
    kind: str,
    parent: Unit | None = None,
    full_name: str = "",
    sort_order: int = 0,
    aliases: str = "",
) -> Unit:
    """A new unit under `parent`. `by=None` is the operator on the command line (load_demo)."""
    if by is not None:
        if parent is None and not by.is_superuser:
            raise PermissionDenied(_("只有超级管理员可以新建顶级单位。"))
        if parent is not None:
            require_office_for(by, parent, _("新建单位"))
    if kind not in UnitKind.values:
        raise ValidationError({"kind": _("未知的单位类型:%(kind)s。") % {"kind": kind}})
    if parent is None and kind not in REGION_KINDS:
        raise ValidationError({"parent": _("乡镇、部门和企业必须有上级单位。")})
    unit = Unit(
        parent=parent,
        kind=kind,
        name=name.strip(),
        full_name=(full_name or name).strip(),
        sort_order=sort_order,
        aliases=(aliases or "").strip(),
    )
    unit.full_clean(exclude=["path", "depth"])
    unit.save()
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.depth = parent.depth + 1 if parent else 0
    unit.save(update_fields=["path", "depth"])
    return unit


@transaction.atomic
def unit_update(
    *, unit: Unit, by: Person | None, name: str, full_name: str, aliases: str, sort_order: int
) -> Unit:
    """Rename or re-sort a unit (its parent and kind stay: they fix its path). The tasks that show its
    name (as lead or cooperating unit, or in their responsible leader's name) move their updated_at."""
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    if by is not None:
        require_office_for(by, unit, _("修改单位"))
    renamed = unit.name != name.strip()
    unit.name = name.strip()
    unit.full_name = (full_name or name).strip()
    unit.aliases = (aliases or "").strip()
    unit.sort_order = sort_order
    unit.full_clean()
    unit.save(update_fields=["name", "full_name", "aliases", "sort_order"])
    if renamed:
        cooperating = TaskCooperation.objects.filter(unit=unit).values("task")
        _touch_tasks(Q(lead_unit=unit) | Q(pk__in=cooperating) | Q(responsible_leader__unit=unit))
    return unit


# What a task shows of its responsible leader (tasks/api/views.py _leader): a change to one of these
# moves the leader's tasks.
LEADER_SHOWN = frozenset({"username", "position", "role", "unit"})


@transaction.atomic
def person_update(*, person: Person, by: Person | None, changed: Iterable[str]) -> Person:
    """Save a person's account details as the caller set them on `person` (the admin's change form);
    `changed` names the fields that changed. The tasks that show them as responsible leader move
    their updated_at when what they show changed."""
    if by is not None and person.unit_id is not None:
        require_office_for(by, person.unit, _("修改人员"))
    if by is not None and not permissions.may_manage_person(by, person):
        # As the form set it: an office may neither change someone above it nor raise anyone above itself.
        raise PermissionDenied(_("不能修改权限高于自己的人员。"))
    person.save()
    if LEADER_SHOWN & set(changed):
        _touch_tasks(Q(responsible_leader=person))
    return person


@transaction.atomic
def person_create(
    *,
    by: Person | None,
    username: str,
    unit: Unit | None,
    role: str,
    position: str = "",
    password: str | None = None,
    password_hash: str | None = None,
    email: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
) -> Person:
    """A new user. `by=None` is the operator on the command line (load_demo, createsuperuser).

    `password_hash` (from make_password) instead of `password` lets a loader giving many people the same
    password hash it once: hashing is slow on purpose.
    """
    if password and password_hash:
        raise ValueError("person_create takes a password or its hash, not both")
    if by is not None:
        if is_superuser and not by.is_superuser:
            raise PermissionDenied(_("只有超级管理员可以新建超级管理员。"))
        if not permissions.may_grant_role(by, role) or (
            is_staff and role != Role.OFFICE and not by.is_superuser
        ):
            raise PermissionDenied(_("不能新建权限高于自己的人员。"))
        if unit is None and not by.is_superuser:
            raise ValidationError({"unit": _("请选择人员所在单位。")})
        if unit is not None:
            require_office_for(by, unit, _("新建人员"))
    if role not in Role.values:
        raise ValidationError({"role": _("未知的角色:%(role)s。") % {"role": role}})
    person = Person(
        username=username,
        unit=unit,
        role=role,
        position=position,
        email=email,
        is_staff=is_staff or role == Role.OFFICE,
        is_superuser=is_superuser,
    )
    if password:
        person.set_password(password)
    elif password_hash:
        person.password = password_hash
    else:
        person.set_unusable_password()
    person.full_clean(exclude=["password"])
    person.save()
    return person


@transaction.atomic
def leader_charge_add(
    *, by: Person | None, leader: Person, unit: Unit, kind: str = ChargeKind.IN_CHARGE
) -> LeaderCharge:
    if by is not None:
        require_office_for(by, unit, _("设定分管/包联关系"))
    if leader.role != Role.LEADER:
        raise ValidationError({"leader": _("只有领导可以分管或包联单位。")})
    charge = LeaderCharge(leader=leader, unit=unit, kind=kind)
    charge.full_clean()
    charge.save()
    return charge


# ---- Campaigns and special actions ---------------------------------------------------------


@transaction.atomic
def campaign_create(
    *, owner: Unit, name: str, code: str, start_date: datetime.date, end_date: datetime.date, by: Person
) -> Campaign:
    require_office_for(by, owner, _("发起冬季行动"))
    if owner.kind not in (UnitKind.CITY, UnitKind.COUNTY, UnitKind.PROVINCE):
        raise ValidationError({"owner": _("冬季行动只能由省、市或县组织。")})
    campaign = Campaign(
        owner=owner, name=name.strip(), code=code.strip().upper(), start_date=start_date, end_date=end_date
    )
    campaign.full_clean()
    campaign.save()
    return campaign


@transaction.atomic
def special_action_create(
    *,
    campaign: Campaign,
    name: str,
    code: str,
    by: Person,
    lead_unit: Unit | None = None,
    lead_leader: Person | None = None,
    task_force: Iterable[Person] = (),
    sort_order: int = 0,
) -> SpecialAction:
    require_office_for(by, campaign.owner, _("设立专项行动"))
    special_action = SpecialAction(
        campaign=campaign,
        name=name.strip(),
        code=code.strip().upper(),
        lead_unit=lead_unit,
        lead_leader=lead_leader,
        sort_order=sort_order,
    )
    special_action.full_clean()
    special_action.save()
    special_action.task_force.set(task_force)
    return special_action


SPECIAL_ACTION_FIELDS = frozenset({"name", "code", "lead_unit", "lead_leader", "task_force", "sort_order"})


@transaction.atomic
def special_action_update(*, special_action: SpecialAction, by: Person, **changes) -> SpecialAction:
    """Change a special action's name, code, lead unit, lead leader, task force or sort order.

    Tasks already numbered keep their codes; a new code applies to tasks created afterwards.
    """
    unknown = set(changes) - SPECIAL_ACTION_FIELDS
    if unknown:
        raise TypeError(f"special_action_update() got unexpected fields: {sorted(unknown)}")
    special_action = (
        SpecialAction.objects.select_for_update().select_related("campaign__owner").get(pk=special_action.pk)
    )
    require_office_for(by, special_action.campaign.owner, _("修改专项行动"))
    task_force = changes.pop("task_force", None)
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
    if "code" in changes:
        changes["code"] = (changes["code"] or "").strip().upper()
    renamed = "name" in changes and changes["name"] != special_action.name
    for name, value in changes.items():
        setattr(special_action, name, value)
    special_action.full_clean()
    special_action.save()
    if renamed:  # a task shows its special action's name
        _touch_tasks(Q(special_action=special_action))
    if task_force is not None:
        special_action.task_force.set(task_force)
    return special_action


# ---- Tasks ------------------------------------------------------------------------------------

CODE_TAIL = re.compile(r"-(\d+)$")


def _next_code(campaign: Campaign, special_action: SpecialAction) -> str:
    # The special action's row is locked, so two creators cannot take the same number.
    SpecialAction.objects.select_for_update().filter(pk=special_action.pk).exists()
    prefix = f"{campaign.code}-{special_action.code}-"
    numbers = [
        int(match.group(1))
        for code in Task.objects.filter(campaign=campaign, code__startswith=prefix).values_list(
            "code", flat=True
        )
        if (match := CODE_TAIL.search(code))
    ]
    return f"{prefix}{max(numbers, default=0) + 1:03d}"


def _check_units(task: Task, cooperating_units: Iterable[Unit]) -> list[Unit]:
    owner = task.campaign.owner
    cooperating = list(dict.fromkeys(cooperating_units))
    for unit in [task.lead_unit, *cooperating]:
        if not unit.path.startswith(owner.path):
            raise ValidationError(
                {"lead_unit": _("%(unit)s不在%(owner)s范围内。") % {"unit": unit, "owner": owner}}
            )
    if task.lead_unit in cooperating:
        raise ValidationError({"cooperating_units": _("牵头单位不能同时是配合单位。")})
    return cooperating


def _set_cooperating(task: Task, units: list[Unit]) -> None:
    task.cooperations.all().delete()
    rows = [TaskCooperation(task=task, unit=unit, lead_unit=task.lead_unit) for unit in units]
    TaskCooperation.objects.bulk_create(rows)


@transaction.atomic
def task_create(
    *,
    campaign: Campaign,
    special_action: SpecialAction,
    title: str,
    lead_unit: Unit,
    deadline: datetime.date,
    by: Person,
    start_date: datetime.date | None = None,
    code: str = "",
    description: str = "",
    target: str = "",
    cooperating_units: Iterable[Unit] = (),
    responsible_leader: Person | None = None,
    priority: int = Priority.NORMAL,
    parent: Task | None = None,
    note: str = "",
) -> Task:
    """A new task; `note` goes on its first timeline event (an import names its file and row)."""
    require_office_for(by, campaign.owner, _("下达任务"))
    if special_action.campaign_id != campaign.pk:
        raise ValidationError({"special_action": _("专项行动不属于这次冬季行动。")})
    if parent is not None and parent.campaign_id != campaign.pk:
        raise ValidationError({"parent": _("上级任务必须属于同一次冬季行动。")})
    if responsible_leader is not None and responsible_leader.role != Role.LEADER:
        raise ValidationError({"responsible_leader": _("责任领导必须是领导角色的人员。")})
    task = Task(
        campaign=campaign,
        special_action=special_action,
        parent=parent,
        code=(code or "").strip() or _next_code(campaign, special_action),
        title=(title or "").strip(),
        description=description,
        target=target,
        lead_unit=lead_unit,
        responsible_leader=responsible_leader,
        start_date=start_date or timezone.localdate(),
        deadline=deadline,
        priority=priority,
    )
    cooperating = _check_units(task, cooperating_units)
    task.full_clean()
    task.save()
    _set_cooperating(task, cooperating)
    _touch_parent(task)
    event = _record(
        task,
        EventKind.CREATED,
        by,
        after={
            **_snapshot(task, "code", "title", "lead_unit_id", "start_date", "deadline", "status"),
            "cooperating_unit_ids": [unit.pk for unit in cooperating],
            "responsible_leader_id": task.responsible_leader_id,
        },
        note=note,
    )
    _hand_off(
        "task_assigned",
        task,
        event,
        units=[task.lead_unit_id],
        cooperating=[unit.pk for unit in cooperating],
        people=[task.responsible_leader_id],
        by=by,
    )
    return task


@transaction.atomic
def task_update(
    *,
    task: Task,
    by: Person,
    title: str | None = None,
    description: str | None = None,
    target: str | None = None,
    priority: int | None = None,
    start_date: datetime.date | None = None,
    deadline: datetime.date | None = None,
    note: str = "",
) -> Task:
    """Change what a task says (not who owns it: see task_assign).

    The dates move here only when the office says so itself (an imported list); a unit asks for a
    later deadline through an extension request.
    """
    task = _locked(task)
    require_office_for(by, task.lead_unit, _("修改任务"))
    _require_status(task, OPEN_STATUSES, _("修改"))
    changes = {
        name: value
        for name, value in (
            ("title", title),
            ("description", description),
            ("target", target),
            ("priority", priority),
            ("start_date", start_date),
            ("deadline", deadline),
        )
        if value is not None and getattr(task, name) != value
    }
    if not changes:
        return task
    before = _snapshot(task, *changes)
    for name, value in changes.items():
        setattr(task, name, value)
    task.full_clean()
    task.save()
    _record(task, EventKind.UPDATED, by, before=before, after=_snapshot(task, *changes), note=note)
    return task


@transaction.atomic
def task_assign(
    *,
    task: Task,
    by: Person,
    lead_unit: Unit | None = None,
    cooperating_units: Iterable[Unit] | None = None,
    responsible_leader: Person | object | None = UNCHANGED,
    note: str = "",
) -> Task:
    """Change who is responsible: lead unit, cooperating units, responsible leader."""
    task = _locked(task)
    require_office_for(by, task.lead_unit, _("调整任务责任"))
    _require_status(task, OPEN_STATUSES, _("调整责任"))
    current_cooperating = list(Unit.objects.filter(cooperations__task=task).order_by("pk"))
    before = {
        "lead_unit_id": task.lead_unit_id,
        "cooperating_unit_ids": [unit.pk for unit in current_cooperating],
        "responsible_leader_id": task.responsible_leader_id,
    }
    if responsible_leader not in (UNCHANGED, None) and responsible_leader.role != Role.LEADER:
        raise ValidationError({"responsible_leader": _("责任领导必须是领导角色的人员。")})
    if lead_unit is not None:
        task.lead_unit = lead_unit
    if responsible_leader is not UNCHANGED:
        task.responsible_leader = responsible_leader
    cooperating = _check_units(task, current_cooperating if cooperating_units is None else cooperating_units)
    if lead_unit is not None and not permissions.in_region_of(by, lead_unit):
        raise PermissionDenied(_("不能把任务交给本地区以外的单位。"))
    # Cooperations go first: on PostgreSQL they follow the task's lead unit (ON UPDATE CASCADE),
    # and the new lead may be one of the old cooperating units.
    task.cooperations.all().delete()
    task.save()
    _set_cooperating(task, cooperating)
    after = {
        "lead_unit_id": task.lead_unit_id,
        "cooperating_unit_ids": sorted(unit.pk for unit in cooperating),
        "responsible_leader_id": task.responsible_leader_id,
    }
    if after != before:
        event = _record(task, EventKind.ASSIGNED, by, before=before, after=after, note=note)
        # Told: the units and the leader who take the task up now; a unit already in its role is not.
        lead_changed = after["lead_unit_id"] != before["lead_unit_id"]
        new_cooperating = set(after["cooperating_unit_ids"]) - set(before["cooperating_unit_ids"])
        leader_changed = after["responsible_leader_id"] != before["responsible_leader_id"]
        _hand_off(
            "task_assigned",
            task,
            event,
            units=[task.lead_unit_id] if lead_changed else [],
            cooperating=sorted(new_cooperating),
            people=[task.responsible_leader_id] if leader_changed else [],
            note=note,
            by=by,
        )
    return task


# ---- Progress, milestones, attachments ----------------------------------------------------------


def _attach(task: Task, files, by: Person, report: ProgressReport | None = None) -> list[Attachment]:
    # Every file is checked (type from its content, size, count) before any is stored.
    checked = evidence.validate_uploads(files)
    return evidence.store(checked, Attachment, by=by, task=task, progress_report=report)


def _current_percent(task: Task, unit_id: int | None) -> int:
    """The unit's own current percent on the task: the task's progress for its lead unit, else the
    unit's latest report (0 before the first)."""
    if unit_id == task.lead_unit_id:
        return task.progress
    latest = (
        ProgressReport.objects.filter(task=task, unit=unit_id)
        .order_by("-submitted_at", "-id")
        .values_list("percent", flat=True)
        .first()
    )
    return latest or 0


@transaction.atomic
def progress_report(
    *,
    task: Task,
    by: Person,
    percent: int,
    done: str,
    problems: str = "",
    next_steps: str = "",
    attachments: Iterable = (),
    lowering_reason: str = "",
) -> ProgressReport:
    """A unit reports progress; the lead unit's percent becomes the task's progress.

    Progress goes down only with a reason (`lowering_reason`), measured against the reporting unit's
    own current percent: the task's progress for the lead unit, its latest report for a cooperating
    unit. The reason is kept first in the report's `problems`, marked 【进度下调原因】, so whoever reads
    the report sees why before anything else."""
    task = _locked(task)
    _require_member_of(by, task, _("填报进度"), cooperating=True)
    _require_status(task, RUNNING_STATUSES, _("填报进度"))
    if not isinstance(percent, int) or isinstance(percent, bool) or not 0 <= percent <= 100:
        raise ValidationError({"percent": _("进度必须是 0 到 100 之间的整数。")})
    problems = (problems or "").strip()
    lowering_reason = (lowering_reason or "").strip()
    previous = _current_percent(task, by.unit_id)
    if percent < previous:
        if not lowering_reason:
            raise ValidationError(
                {
                    "lowering_reason": _("进度从 %(old)d%% 降到 %(new)d%%,请说明下调原因。")
                    % {"old": previous, "new": percent}
                }
            )
        marked = _("【进度下调原因】%(reason)s") % {"reason": lowering_reason}
        problems = f"{marked}\n{problems}" if problems else marked
    report = ProgressReport(
        task=task,
        unit=by.unit,
        percent=percent,
        done=require_text(done, "done", _("已完成工作")),
        problems=problems,
        next_steps=(next_steps or "").strip(),
        submitted_by=by,
        submitted_at=clock.now(),
    )
    report.full_clean()
    report.save()
    files = _attach(task, attachments, by, report)
    before = _snapshot(task, "progress", "status")
    if by.unit_id == task.lead_unit_id:
        task.progress = percent
        if task.status == TaskStatus.NOT_STARTED:
            task.status = TaskStatus.IN_PROGRESS
    task.save()  # also moves updated_at: a cooperating unit's report is news too
    if task.progress != before["progress"] or task.status != before["status"]:
        _touch_parent(task)
    _record(
        task,
        EventKind.PROGRESS_REPORTED,
        by,
        before=before,
        after={
            **_snapshot(task, "progress", "status"),
            "report_id": report.pk,
            "unit_id": by.unit_id,
            "percent": percent,
            "attachments": len(files),
        },
        note=report.done,
    )
    return report


@transaction.atomic
def attachment_add(*, task: Task, by: Person, file) -> Attachment:
    task = _locked(task)
    _require_member_of(by, task, _("上传佐证材料"), cooperating=True)
    _require_status(task, OPEN_STATUSES, _("上传佐证材料"))
    (attachment,) = _attach(task, [file], by)
    task.save(update_fields=["updated_at"])
    _record(
        task,
        EventKind.ATTACHMENT_ADDED,
        by,
        after={"attachment_id": attachment.pk, "name": attachment.original_name},
    )
    return attachment


def _require_lead_or_office(by: Person, task: Task, action: str) -> None:
    if permissions.is_office_in_region(by, task.lead_unit):
        return
    _require_member_of(by, task, action)


@transaction.atomic
def milestone_add(
    *, task: Task, by: Person, title: str, due_date: datetime.date, note: str = ""
) -> Milestone:
    task = _locked(task)
    _require_lead_or_office(by, task, _("设置节点"))
    _require_status(task, OPEN_STATUSES, _("设置节点"))
    if due_date > task.deadline:
        raise ValidationError(
            {"due_date": _("节点时限不能晚于任务完成时限(%(deadline)s)。") % {"deadline": task.deadline}}
        )
    if due_date < task.start_date:
        raise ValidationError(
            {"due_date": _("节点时限不能早于任务开始日期(%(start)s)。") % {"start": task.start_date}}
        )
    milestone = Milestone(task=task, title=require_text(title, "title", _("节点名称")), due_date=due_date)
    milestone.full_clean()
    milestone.save()
    task.save(update_fields=["updated_at"])
    _record(
        task,
        EventKind.MILESTONE_ADDED,
        by,
        after={"milestone_id": milestone.pk, "title": milestone.title, "due_date": due_date.isoformat()},
        note=note,
    )
    return milestone


@transaction.atomic
def milestone_complete(
    *, milestone: Milestone, by: Person, done_on: datetime.date | None = None
) -> Milestone:
    task = _locked(milestone.task)
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    _require_lead_or_office(by, task, _("确认节点完成"))
    _require_status(task, OPEN_STATUSES, _("确认节点完成"))
    if milestone.done_on is not None:
        raise InvalidTransition(
            _("节点“%(title)s”已于 %(day)s 完成。") % {"title": milestone.title, "day": milestone.done_on}
        )
    today = timezone.localdate()
    done_on = done_on or today
    if done_on > today:
        raise ValidationError({"done_on": _("完成日期不能晚于今天。")})
    if done_on < task.start_date:
        raise ValidationError({"done_on": _("完成日期不能早于任务开始日期。")})
    milestone.done_on = done_on
    milestone.completed_by = by
    milestone.save()
    task.save(update_fields=["updated_at"])
    _record(
        task,
        EventKind.MILESTONE_DONE,
        by,
        after={
            "milestone_id": milestone.pk,
            "title": milestone.title,
            "done_on": done_on.isoformat(),
            "late": done_on > milestone.due_date,
        },
    )
    return milestone


def _reject_pending_extensions(task: Task, by: Person, reason: str) -> dict:
    """A task that stops running has no use for a pending extension; the event records which were dropped."""
    pending = list(
        task.extension_requests.filter(status=ExtensionStatus.PENDING).values_list("pk", flat=True)
    )
    if not pending:
        return {}
    ExtensionRequest.objects.filter(pk__in=pending).update(
        status=ExtensionStatus.REJECTED, decided_by=by, decided_at=timezone.now(), decision_reason=reason
    )
    return {"rejected_extension_ids": pending}


# ---- Status transitions ---------------------------------------------------------------------------


@transaction.atomic
def task_request_close(*, task: Task, by: Person, note: str = "") -> Task:
    """The lead unit says the task is done (申请销号); the office then closes or returns it."""
    task = _locked(task)
    _require_member_of(by, task, _("申请销号"))
    _require_status(task, [TaskStatus.IN_PROGRESS], _("申请销号"))
    before = _snapshot(task, "status", "progress", "returned")
    task.status = TaskStatus.AWAITING_CLOSE
    task.progress = 100
    task.returned = False
    task.save()
    _touch_parent(task)
    _record(
        task,
        EventKind.CLOSE_REQUESTED,
        by,
        before=before,
        after=_snapshot(task, "status", "progress", "returned"),
        note=note.strip(),
    )
    return task


@transaction.atomic
def task_close(*, task: Task, by: Person, note: str = "") -> Task:
    """销号: the supervision office confirms the task is done."""
    task = _locked(task)
    require_office_for(by, task.lead_unit, _("销号"))
    _require_status(task, [TaskStatus.AWAITING_CLOSE], _("销号"))
    before = _snapshot(task, "status")
    task.status = TaskStatus.CLOSED
    task.closed_at = timezone.now()
    task.closed_late = timezone.localdate(task.closed_at) > task.deadline
    task.save()
    dropped = _reject_pending_extensions(task, by, _("任务已销号"))
    _record(
        task,
        EventKind.CLOSED,
        by,
        before=before,
        after={**_snapshot(task, "status", "closed_at", "closed_late"), **dropped},
        note=note.strip(),
    )
    return task


@transaction.atomic
def task_return(*, task: Task, by: Person, reason: str) -> Task:
    """The office sends a close request back; the task carries a `returned` mark until the next request."""
    task = _locked(task)
    require_office_for(by, task.lead_unit, _("退回销号申请"))
    _require_status(task, [TaskStatus.AWAITING_CLOSE], _("退回"))
    reason = require_text(reason, "reason", _("退回理由"))
    before = _snapshot(task, "status", "returned")
    task.status = TaskStatus.IN_PROGRESS
    task.returned = True
    task.save()
    event = _record(
        task, EventKind.RETURNED, by, before=before, after=_snapshot(task, "status", "returned"), note=reason
    )
    _hand_off("task_returned", task, event, units=[task.lead_unit_id], note=reason, by=by)
    return task


@transaction.atomic
def task_cancel(*, task: Task, by: Person, reason: str) -> Task:
    """撤销: the office withdraws a task that is still open."""
    task = _locked(task)
    require_office_for(by, task.lead_unit, _("撤销任务"))
    _require_status(task, OPEN_STATUSES, _("撤销"))
    reason = require_text(reason, "reason", _("撤销理由"))
    before = _snapshot(task, "status")
    task.status = TaskStatus.CANCELLED
    task.save()
    _touch_parent(task)  # a cancelled subtask leaves its parent's rollup
    dropped = _reject_pending_extensions(task, by, _("任务已撤销"))
    _record(
        task,
        EventKind.CANCELLED,
        by,
        before=before,
        after={**_snapshot(task, "status"), **dropped},
        note=reason,
    )
    return task


# ---- Extensions and instructions --------------------------------------------------------------------


@transaction.atomic
def extension_request(
    *, task: Task, by: Person, new_deadline: datetime.date, reason: str
) -> ExtensionRequest:
    task = _locked(task)
    _require_member_of(by, task, _("申请延期"))
    _require_status(task, RUNNING_STATUSES, _("申请延期"))
    reason = require_text(reason, "reason", _("延期理由"))
    if new_deadline <= task.deadline:
        raise ValidationError(
            {"new_deadline": _("申请的新时限必须晚于当前时限(%(deadline)s)。") % {"deadline": task.deadline}}
        )
    if task.extension_requests.filter(status=ExtensionStatus.PENDING).exists():
        raise InvalidTransition(_("该任务已有一条待审批的延期申请。"))
    extension = ExtensionRequest(
        task=task, requested_by=by, reason=reason, current_deadline=task.deadline, new_deadline=new_deadline
    )
    extension.full_clean()
    extension.save()
    task.save(update_fields=["updated_at"])
    _record(
        task,
        EventKind.EXTENSION_REQUESTED,
        by,
        before={"deadline": task.deadline.isoformat()},
        after={"extension_id": extension.pk, "new_deadline": new_deadline.isoformat()},
        note=reason,
    )
    return extension


@transaction.atomic
def extension_decide(
    *, extension: ExtensionRequest, by: Person, approve: bool, reason: str = ""
) -> ExtensionRequest:
    """The office approves (the deadline moves, the original stays on record) or rejects with a reason."""
    # Lock the task before the request, in the same order as every other service (no deadlock with task_cancel).
    task = _locked(extension.task)
    extension = ExtensionRequest.objects.select_for_update().get(pk=extension.pk)
    require_office_for(by, task.lead_unit, _("审批延期申请"))
    if extension.status != ExtensionStatus.PENDING:
        raise InvalidTransition(
            _("该延期申请已经审批过了(%(status)s)。") % {"status": extension.get_status_display()}
        )
    reason = (reason or "").strip()
    if not approve:
        reason = require_text(reason, "reason", _("驳回理由"))
    else:
        _require_status(task, RUNNING_STATUSES, _("延期"))
    extension.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REJECTED
    extension.decided_by = by
    extension.decided_at = timezone.now()
    extension.decision_reason = reason
    extension.save()
    before = _snapshot(task, "deadline")
    if approve:
        task.original_deadline = task.original_deadline or task.deadline
        task.deadline = extension.new_deadline
        task.full_clean()
    task.save()
    event = _record(
        task,
        EventKind.EXTENSION_APPROVED if approve else EventKind.EXTENSION_REJECTED,
        by,
        before=before,
        after={**_snapshot(task, "deadline"), "extension_id": extension.pk},
        note=reason,
    )
    requester = Person.objects.filter(pk=extension.requested_by_id).values_list("unit_id", flat=True)
    _hand_off(
        "extension_approved" if approve else "extension_rejected",
        task,
        event,
        units=[requester.first()],
        note=reason,
        by=by,
    )
    return extension


@transaction.atomic
def instruction_write(*, task: Task, by: Person, text: str) -> Instruction:
    """批示: a leader writes an instruction on a task in their region."""
    if not permissions.may_instruct(by, task):
        raise PermissionDenied(_("只有本地区的领导可以作出批示。"))
    task = _locked(task)
    instruction = Instruction(task=task, leader=by, text=require_text(text, "text", _("批示内容")))
    instruction.full_clean()
    instruction.save()
    task.save(update_fields=["updated_at"])
    event = _record(
        task,
        EventKind.INSTRUCTION_WRITTEN,
        by,
        after={"instruction_id": instruction.pk},
        note=instruction.text,
    )
    _hand_off("instruction", task, event, units=[task.lead_unit_id], note=instruction.text, by=by)
    return instruction


# ---- API tokens ------------------------------------------------------------------------------------

TOKEN_PREFIX = "wa_"


def _require_token_holder_or_office(by: Person, holder: Person, action: str) -> None:
    """Your own tokens are yours; the office also manages those of people in its region (big screens)."""
    if by.pk == holder.pk or by.is_superuser:
        return
    if holder.unit_id is None or not permissions.may_manage_person(by, holder):
        raise PermissionDenied(_("不能%(action)s:对方的权限不低于你。") % {"action": action})
    require_office_for(by, holder.unit, action)


@transaction.atomic
def token_create(
    *,
    user: Person,
    by: Person,
    name: str,
    read_only: bool = False,
    expires_at: datetime.datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new API token for `user`; returns the row and the plain token, which is never stored."""
    _require_token_holder_or_office(by, user, _("为他人创建令牌"))
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("过期时间必须晚于现在。")})
    if expires_at is None and settings.API_TOKEN_DEFAULT_DAYS:
        expires_at = timezone.now() + datetime.timedelta(days=settings.API_TOKEN_DEFAULT_DAYS)
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=require_text(name, "name", _("令牌名称")),
        prefix=plain[: len(TOKEN_PREFIX) + 6],
        digest=token_digest(plain),
        read_only=read_only or user.role == Role.READONLY,
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    return token, plain


def submission_claim(*, user: Person, key: str, action: str) -> bool:
    """Claim the one-time key a page's form carried, in the caller's transaction (with the write it
    guards). False: that form was already submitted (the row's unique key; a concurrent twin waits for
    the first transaction and then finds it). The API's Idempotency-Key keeps its answers in the same
    table; a page's keys are prefixed so the two never meet."""
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(
                user=user,
                key=f"page:{key}",
                fingerprint=hashlib.sha256(action.encode()).hexdigest(),
                status_code=200,
                body={"action": action},
            )
    except IntegrityError:
        return False
    return True


@transaction.atomic
def person_tokens_revoke(*, person: Person, reason: str) -> list[ApiToken]:
    """Revoke every valid API token of `person` (their password changed: whoever held the old one may
    hold a token too), each recorded in the audit log. Returns the tokens revoked."""
    revoked = list(ApiToken.objects.select_for_update().filter(user=person, revoked_at__isnull=True))
    if not revoked:
        return []
    moment = timezone.now()
    ApiToken.objects.filter(pk__in=[token.pk for token in revoked]).update(revoked_at=moment)
    for token in revoked:
        token.revoked_at = moment
        record(AuditKind.TOKEN_REVOKED, user=person, token=token.name, prefix=token.prefix, reason=reason)
    return revoked


def revoked_tokens_message(tokens: list[ApiToken]) -> str:
    """What a page tells after a password change revoked these tokens."""
    names = "、".join(f"“{token.name}”({token.prefix}…)" for token in tokens)
    return ngettext(
        "密码已更改,以下 %(count)d 个 API 令牌已吊销:%(names)s。使用它们的系统需要新的令牌。",
        "密码已更改,以下 %(count)d 个 API 令牌已吊销:%(names)s。使用它们的系统需要新的令牌。",
        len(tokens),
    ) % {"count": len(tokens), "names": names}


@transaction.atomic
def token_revoke(*, token: ApiToken, by: Person) -> ApiToken:
    _require_token_holder_or_office(by, token.user, _("吊销他人的令牌"))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
