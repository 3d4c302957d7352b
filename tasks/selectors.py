"""Reads that decide who sees what. Every page and endpoint scopes its queryset here.

Transparency is the norm (挂图作战): everyone reads the campaigns, special actions and
tasks whose lead unit lies in their home region (the nearest county, city or province
at or above their unit). Inspectors also read everything in their supervision groups'
scopes. Superusers read everything.
"""

import datetime
import functools
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db import connection
from django.db.models import Avg, Max, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from . import seams
from .models import (
    OPEN_STATUSES,
    REGION_KINDS,
    Campaign,
    EventKind,
    ExtensionRequest,
    ExtensionStatus,
    ImportBatch,
    Instruction,
    LeaderCharge,
    Person,
    ProgressReport,
    Role,
    SpecialAction,
    Task,
    TaskCooperation,
    TaskEvent,
    TaskStatus,
    Unit,
)

NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class Access:
    """What one user may read, worked out once per user object (two queries at most)."""

    everything: bool = False
    region: Unit | None = None
    # (path of a scope unit, ids of the special actions it is limited to, or None for all)
    scopes: tuple[tuple[str, frozenset[int] | None], ...] = field(default_factory=tuple)

    def task_q(self, prefix: str = "") -> Q:
        """Condition on tasks (or on rows with a task at `prefix`, e.g. "task__")."""
        if self.everything:
            return Q()
        parts = []
        if self.region is not None:
            parts.append(Q(**{f"{prefix}lead_unit__path__startswith": self.region.path}))
        for path, special_actions in self.scopes:
            condition = Q(**{f"{prefix}lead_unit__path__startswith": path})
            if special_actions is not None:
                condition &= Q(**{f"{prefix}special_action__in": special_actions})
            parts.append(condition)
        return reduce(or_, parts) if parts else NOTHING

    @property
    def key(self) -> tuple:
        """What the conditions built from this access depend on: equal keys, the same SQL."""
        return (self.everything, self.region.path if self.region else None, self.scopes)

    def roots(self) -> list[str]:
        """Paths of the subtrees this user reads: the home region and every group scope."""
        return ([self.region.path] if self.region else []) + [path for path, _ in self.scopes]

    def unit_q(self, prefix: str = "") -> Q:
        """Units in my subtrees, and the units above them (a county's official sees its city)."""
        return self._tree_q(f"{prefix}path__startswith", f"{prefix}pk__in")

    def campaign_q(self, prefix: str = "") -> Q:
        """A campaign is visible when its owner is in one of my roots, or above one (a city's campaign)."""
        return self._tree_q(f"{prefix}owner__path__startswith", f"{prefix}owner__in")

    def _tree_q(self, path_startswith: str, unit_in: str) -> Q:
        """A unit (at the lookups given) in one of my subtrees, or above one."""
        if self.everything:
            return Q()
        roots = self.roots()
        if not roots:
            return NOTHING
        above = {int(part) for root in roots for part in root.strip("/").split("/")}
        below = reduce(or_, (Q(**{path_startswith: root}) for root in roots))
        return below | Q(**{unit_in: above})


def home_region(unit: Unit) -> Unit | None:
    """The nearest county, city or province at or above `unit`."""
    if unit.is_region:
        return unit
    return Unit.objects.filter(pk__in=unit.ancestor_ids, kind__in=REGION_KINDS).order_by("-depth").first()


def access_for(user) -> Access:
    cached = getattr(user, "_winteraction_access", None)
    if cached is not None:
        return cached
    if not user.is_authenticated or not user.is_active:
        access = Access()
    elif user.is_superuser:
        access = Access(everything=True)
    elif user.unit_id is None:
        access = Access()
    else:
        region, scopes = _region_and_scopes(user)
        access = Access(region=region, scopes=scopes)
    user._winteraction_access = access
    return access


SCOPE_ROLES = (Role.INSPECTOR, Role.OFFICE, Role.LEADER)
UNIT_COLUMNS = ("id", "parent_id", "kind", "name", "full_name", "path", "depth", "sort_order")


def _region_and_scopes(user: Person) -> tuple[Unit | None, tuple]:
    """The home region and the supervision-group scopes, in one query at most: every request asks, so
    it is one plain statement (SQL that SQLite and PostgreSQL both take), not two ORM queries. A unit
    that is itself a region needs no lookup; otherwise its region ancestors come back with the scope
    rows (UNION ALL): a region's columns and no path, or a scope's path and special action."""
    unit = user.unit
    scoped = user.role in SCOPE_ROLES
    if not scoped:
        return home_region(unit), ()
    regions = [] if unit.is_region else unit.ancestor_ids
    sql = _access_sql(len(regions), len(seams.access_scopes))
    params = [*(k.value for k in REGION_KINDS), *regions, *(user.pk for _source in seams.access_scopes)]
    found, rows = [], []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for *columns, scope_path, action in cursor.fetchall():
            if scope_path is None:
                found.append(Unit.from_db(connection.alias, UNIT_COLUMNS, columns))
            else:
                rows.append((scope_path, action))
    region = unit if unit.is_region else max(found, key=lambda u: u.depth, default=None)
    return region, _scopes(rows)


@functools.cache
def _access_sql(regions: int, sources: int) -> str:
    """The region ancestors, then each scope source's (path, special action) rows (tasks/seams.py)."""
    unit = Unit._meta.db_table
    columns = ", ".join(f"u.{c}" for c in UNIT_COLUMNS)
    blanks = ", ".join("NULL" for _c in UNIT_COLUMNS)
    kinds = ", ".join("%s" for _k in REGION_KINDS)
    ancestors = ", ".join("%s" for _i in range(regions)) or "NULL"
    parts = [
        f"SELECT {columns}, NULL, NULL FROM {unit} u WHERE u.kind IN ({kinds}) AND u.id IN ({ancestors})"
    ]
    parts += [f"SELECT {blanks}, s.* FROM ({source.sql()}) s" for source in seams.access_scopes[:sources]]
    return "\nUNION ALL\n".join(parts)


def _scopes(rows) -> tuple:
    """(path, special action or None) rows → ((path, frozenset of special actions or None), …)."""
    scopes: dict[str, set[int] | None] = {}
    # One row per (unit, special action) pair; a None special action means "all of them".
    limited: dict[str, set[int]] = {}
    unlimited: set[str] = set()
    for path, special_action in rows:
        if not path:
            continue
        if special_action is None:
            unlimited.add(path)
        else:
            limited.setdefault(path, set()).add(special_action)
    for path in unlimited:
        scopes[path] = None
    for path, ids in limited.items():
        if path not in unlimited:
            scopes[path] = ids
    return tuple((path, frozenset(ids) if ids is not None else None) for path, ids in sorted(scopes.items()))


# ---- Querysets ------------------------------------------------------------------------


def campaigns_visible_to(user) -> QuerySet[Campaign]:
    return Campaign.objects.filter(access_for(user).campaign_q()).select_related("owner")


def special_actions_visible_to(user) -> QuerySet[SpecialAction]:
    return SpecialAction.objects.filter(access_for(user).campaign_q("campaign__")).select_related(
        "campaign", "lead_unit", "lead_leader__unit"
    )


# The average progress of a task's subtasks, the cancelled ones aside (None without subtasks). Built once:
# annotating with it copies it.
SUBTASK_PROGRESS = Subquery(
    Task.objects.filter(parent=OuterRef("pk"))
    .exclude(status="cancelled")
    .values("parent")
    .annotate(avg=Avg("progress"))
    .values("avg")
)


def tasks_visible_to(user, *, today=None, flags=True) -> QuerySet[Task]:
    """The tasks `user` may read, with `rollup_progress` and (unless `flags=False`, for a caller that
    works them out in Python with tasks.flags.flags_of) `is_overdue`, `is_due_soon`, `is_behind`."""
    tasks = (
        Task.objects.filter(access_for(user).task_q())
        .select_related("campaign", "special_action", "lead_unit", "responsible_leader__unit")
        .annotate(rollup_progress=SUBTASK_PROGRESS)
    )
    return tasks.with_flags(today) if flags else tasks


def task_get_for(user, pk) -> Task:
    """The task if `user` may read it; 404 otherwise (the same answer as for a task that does not exist)."""
    try:
        return tasks_visible_to(user).get(pk=pk)
    except (Task.DoesNotExist, ValueError, TypeError):
        raise Http404("No task matches the given query.") from None


def tasks_for_my_unit(user, *, today=None) -> QuerySet[Task]:
    """Open tasks the user's unit leads or cooperates on: what the unit must act on."""
    if getattr(user, "unit_id", None) is None:
        return Task.objects.none()
    cooperating = TaskCooperation.objects.filter(unit=user.unit_id).values("task")
    mine = Q(lead_unit=user.unit_id) | Q(pk__in=cooperating)
    return tasks_visible_to(user, today=today).filter(mine, status__in=OPEN_STATUSES)


def units_visible_to(user) -> QuerySet[Unit]:
    return Unit.objects.filter(access_for(user).unit_q())


def people_visible_to(user) -> QuerySet[Person]:
    return Person.objects.filter(access_for(user).unit_q("unit__"), is_active=True).select_related("unit")


def imports_visible_to(user) -> QuerySet[ImportBatch]:
    """Uploaded task lists: for the office of the campaign owner's region (and above), and superusers."""
    access = access_for(user)
    batches = ImportBatch.objects.select_related("campaign__owner", "uploaded_by__unit", "committed_by__unit")
    if access.everything:
        return batches
    if getattr(user, "role", None) != Role.OFFICE or access.region is None:
        return batches.none()
    return batches.filter(campaign__owner__path__startswith=access.region.path)


def task_rows_visible_to(user, model) -> QuerySet:
    """Rows that hang off a task (milestones, reports, attachments …): visible with their task."""
    return model.objects.filter(access_for(user).task_q("task__"))


# ---- Reporting rhythm ---------------------------------------------------------------------------

# A unit on a task in progress reports at least this often (每周填报).
REPORT_INTERVAL_DAYS = 7


def with_last_report_of(queryset: QuerySet[Task], unit_id) -> QuerySet[Task]:
    """Annotate `last_report_at`: when `unit_id` last reported progress on each task (None: never)."""
    last = (
        ProgressReport.objects.filter(task=OuterRef("pk"), unit=unit_id)
        .order_by()
        .values("task")
        .annotate(at=Max("submitted_at"))
        .values("at")
    )
    return queryset.annotate(last_report_at=Subquery(last))


def awaiting_report_q(today: datetime.date) -> Q:
    """In progress, and no report for REPORT_INTERVAL_DAYS days (Asia/Shanghai days).

    Needs `last_report_at` (see `with_last_report_of`). Before the unit's first report the days
    count from the task's start date. A report on day D makes the task due for the next on day
    D + 7: listed from then on, not on day D + 6.
    """
    last_allowed_day = today - datetime.timedelta(days=REPORT_INTERVAL_DAYS)
    # "Reported on or before last_allowed_day" is "before the midnight that starts the day after".
    boundary = timezone.make_aware(
        datetime.datetime.combine(last_allowed_day + datetime.timedelta(days=1), datetime.time.min)
    )
    stale = Q(last_report_at__lt=boundary) | Q(last_report_at__isnull=True, start_date__lte=last_allowed_day)
    return Q(status=TaskStatus.IN_PROGRESS) & stale


def latest_report_subquery(unit_ref=None) -> QuerySet[ProgressReport]:
    """The latest report on the outer task (`OuterRef("pk")`) by `unit_ref`, by default the task's lead
    unit: the one whose percent drives the task. Served by the index report_task_unit_time."""
    unit_ref = OuterRef("lead_unit_id") if unit_ref is None else unit_ref
    return ProgressReport.objects.filter(task=OuterRef("pk"), unit=unit_ref).order_by("-submitted_at", "-id")


def with_lead_report(queryset: QuerySet[Task]) -> QuerySet[Task]:
    """Annotate the lead unit's latest report: `lead_report_done`, `lead_report_problems` (存在问题),
    `lead_report_next_steps` (下步计划), `lead_report_at` (subqueries in the same statement)."""
    latest = latest_report_subquery()
    return queryset.annotate(
        lead_report_done=Subquery(latest.values("done")[:1]),
        lead_report_problems=Subquery(latest.values("problems")[:1]),
        lead_report_next_steps=Subquery(latest.values("next_steps")[:1]),
        lead_report_at=Subquery(latest.values("submitted_at")[:1]),
    )


def with_return_reason(queryset: QuerySet[Task]) -> QuerySet[Task]:
    """Annotate `return_reason`: the office's reason when it last returned the close-out request (退回)."""
    returned = TaskEvent.objects.filter(task=OuterRef("pk"), kind=EventKind.RETURNED).order_by("-at", "-id")
    return queryset.annotate(return_reason=Subquery(returned.values("note")[:1]))


# ---- A leader's charges (分管/包联) ------------------------------------------------------------------


def charged_by_q(person) -> Q:
    """Tasks led by a unit `person` answers for (LeaderCharge: 分管 or 包联). The subquery reads the index of
    leader_charge_unique (leader first); the task side, the lead_unit index."""
    return Q(lead_unit__in=LeaderCharge.objects.filter(leader=person).values("unit"))


def leader_charges(user) -> QuerySet[LeaderCharge]:
    return LeaderCharge.objects.filter(leader=user).select_related("unit").order_by("unit__path", "kind")


def instructions_with_answers(user) -> QuerySet[Instruction]:
    """My 批示 on tasks I may read, newest first, each with its answer: the latest progress report on
    the task submitted after the 批示 (`answer_done`, `answer_problems`, `answer_unit`, `answer_at`;
    None while nobody has reported since)."""
    after = ProgressReport.objects.filter(
        task=OuterRef("task"), submitted_at__gt=OuterRef("created_at")
    ).order_by("-submitted_at", "-id")
    return (
        Instruction.objects.filter(access_for(user).task_q("task__"), leader=user)
        .select_related("task")
        .annotate(
            answer_done=Subquery(after.values("done")[:1]),
            answer_problems=Subquery(after.values("problems")[:1]),
            answer_unit=Subquery(after.values("unit__name")[:1]),
            answer_at=Subquery(after.values("submitted_at")[:1]),
        )
        .order_by("-created_at", "-id")
    )


def latest_reports_by_unit(task: Task) -> dict[int, ProgressReport]:
    """{unit id: its latest report on `task`} for every unit that reported (one query)."""
    newest = ProgressReport.objects.filter(task=OuterRef("task"), unit=OuterRef("unit")).order_by(
        "-submitted_at", "-id"
    )
    reports = ProgressReport.objects.filter(task=task, pk=Subquery(newest.values("pk")[:1])).select_related(
        "submitted_by__unit"
    )
    return {report.unit_id: report for report in reports}


def pending_extension_subquery():
    return ExtensionRequest.objects.filter(task=OuterRef("pk"), status=ExtensionStatus.PENDING)
