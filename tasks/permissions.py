"""Who may act on units and tasks: one pure predicate per rule.

The services call these and raise (`PermissionDenied` with their own message, `InvalidTransition`
for a status); the task page and the API ask the same predicates which buttons to show, so a user
never sees a button the service would refuse.

Pure: each answers from what is already loaded. The one read they make is `access_for(user)` (the
home region and group scopes), cached on the user after its first query, which every request makes
anyway. `is_cooperating` reads the task's cooperating units only when the caller does not pass them
(one query), documented there.

`may_<action>` is the person check (a POST by anyone else is a 403); `can_<action>` adds the task's
status, and decides whether a page offers the step.
"""

from collections.abc import Collection

from django.db.models import Q

from .models import OPEN_STATUSES, RUNNING_STATUSES, Person, Role, Task, TaskCooperation, TaskStatus, Unit
from .selectors import access_for

# ---- Regions ----------------------------------------------------------------------------------------


def in_region_of(user: Person, unit: Unit) -> bool:
    """The unit lies in the user's home region (everything for a superuser)."""
    access = access_for(user)
    return access.everything or (access.region is not None and unit.path.startswith(access.region.path))


def is_office_for(user: Person, unit: Unit) -> bool:
    """The supervision office (督查室) of the unit's region, or a superuser."""
    return user.is_superuser or (user.role == Role.OFFICE and in_region_of(user, unit))


def is_office_in_region(user: Person, unit: Unit) -> bool:
    """The region's office, without the superuser shortcut (setting and completing milestones)."""
    return user.role == Role.OFFICE and in_region_of(user, unit)


def is_leader_for(user: Person, unit: Unit) -> bool:
    """A leader of the unit's region (批示)."""
    return user.role == Role.LEADER and in_region_of(user, unit)


# ---- Managing people (the back office) ----------------------------------------------------------

# Rights of each role, highest first, defined once: the back office never lets anyone manage, or
# create, a person with more rights than their own. Staff and superusers rank above every role.
ROLE_RANK = {Role.OFFICE: 4, Role.LEADER: 3, Role.INSPECTOR: 2, Role.UNIT_OFFICIAL: 1, Role.READONLY: 0}


def may_grant_role(user: Person, role: str) -> bool:
    """The user may give this role to someone (a superuser any; otherwise at most their own)."""
    return user.is_superuser or ROLE_RANK.get(role, 99) <= ROLE_RANK.get(user.role, -1)


def may_manage_person(user: Person, person: Person) -> bool:
    """The user may change this person's account (details, password, tokens) in the back office.

    A superuser anyone. Others never a staff member or a superuser (an office could otherwise take
    over an account with more rights than its own), nor a role above their own; the region is the
    caller's queryset's business (`people_for`)."""
    if user.is_superuser:
        return True
    if person.is_staff or person.is_superuser:
        return False
    return may_grant_role(user, person.role)


def manageable_people_q(user: Person, prefix: str = "") -> Q:
    """`may_manage_person` as a filter on people (at `prefix`), for the back office's querysets."""
    if user.is_superuser:
        return Q()
    roles = [role for role in ROLE_RANK if may_grant_role(user, role)]
    return Q(**{f"{prefix}is_staff": False, f"{prefix}is_superuser": False, f"{prefix}role__in": roles})


# ---- Acting for a unit -----------------------------------------------------------------------------


def acts_for_unit(user: Person) -> bool:
    """Unit officials and the office report for their own unit."""
    return user.role in (Role.UNIT_OFFICIAL, Role.OFFICE) and user.unit_id is not None


def is_lead(user: Person, task: Task) -> bool:
    return acts_for_unit(user) and user.unit_id == task.lead_unit_id


def cooperating_unit_ids(task: Task) -> set[int]:
    """The task's cooperating units (one query)."""
    return set(TaskCooperation.objects.filter(task=task).values_list("unit_id", flat=True))


def is_cooperating(user: Person, task: Task, cooperating: Collection[int] | None = None) -> bool:
    """The user acts for one of the task's cooperating units. Pass `cooperating` (unit ids) when the
    caller has them; without it this reads them (one query)."""
    if not acts_for_unit(user):
        return False
    if cooperating is None:
        return TaskCooperation.objects.filter(task=task, unit_id=user.unit_id).exists()
    return user.unit_id in cooperating


# ---- Steps on a task ---------------------------------------------------------------------------------


def may_report(user: Person, task: Task, cooperating: Collection[int] | None = None) -> bool:
    """进度填报 and evidence: the lead unit or a cooperating unit."""
    return is_lead(user, task) or is_cooperating(user, task, cooperating)


def can_report(user: Person, task: Task, cooperating: Collection[int] | None = None) -> bool:
    return task.status in RUNNING_STATUSES and may_report(user, task, cooperating)


def may_milestone(user: Person, task: Task) -> bool:
    """Setting and completing milestones: the region's office or the lead unit."""
    return is_office_in_region(user, task.lead_unit) or is_lead(user, task)


def can_milestone(user: Person, task: Task) -> bool:
    return task.status in OPEN_STATUSES and may_milestone(user, task)


def may_request_close(user: Person, task: Task) -> bool:
    return is_lead(user, task)


def can_request_close(user: Person, task: Task) -> bool:
    return task.status == TaskStatus.IN_PROGRESS and may_request_close(user, task)


def may_extend(user: Person, task: Task) -> bool:
    return is_lead(user, task)


def can_extend(user: Person, task: Task, *, pending_extension=None) -> bool:
    return task.status in RUNNING_STATUSES and pending_extension is None and may_extend(user, task)


def may_decide(user: Person, task: Task) -> bool:
    """Close out, return, cancel, decide an extension: the office of the lead unit's region."""
    return is_office_for(user, task.lead_unit)


def can_close(user: Person, task: Task) -> bool:
    return task.status == TaskStatus.AWAITING_CLOSE and may_decide(user, task)


def can_cancel(user: Person, task: Task) -> bool:
    return task.status in OPEN_STATUSES and may_decide(user, task)


def may_instruct(user: Person, task: Task) -> bool:
    return is_leader_for(user, task.lead_unit)


class TaskPermissions:
    """What one user may do on one task, for a page: the predicates above, asked once each (no query
    beyond `access_for`). `may_<action>` is the person check, `can_<action>` adds the status."""

    def __init__(self, user, task: Task, cooperating: Collection[int], pending_extension=None):
        self.task = task
        self.pending_extension = pending_extension
        self.is_lead = is_lead(user, task)
        self.may_report = may_report(user, task, cooperating)
        self.may_milestone = may_milestone(user, task)
        self.may_request_close = may_request_close(user, task)
        self.may_extend = may_extend(user, task)
        self.may_decide = self.may_close = self.may_return = self.may_cancel = may_decide(user, task)
        self.may_instruct = may_instruct(user, task)
        self.can_report = can_report(user, task, cooperating)
        self.can_milestone = can_milestone(user, task)
        self.can_request_close = can_request_close(user, task)
        self.can_extend = can_extend(user, task, pending_extension=pending_extension)
        self.can_decide = self.may_decide and pending_extension is not None
        self.can_close = self.can_return = can_close(user, task)
        self.can_cancel = can_cancel(user, task)
        self.can_instruct = self.may_instruct

    @property
    def any_office_action(self) -> bool:
        return self.can_close or self.can_return or self.can_cancel
