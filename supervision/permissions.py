"""Who may act on supervision work: one pure predicate per rule (see tasks/permissions.py).

The services call these and raise their own messages; the pages and the API ask them which buttons
to show. They answer from what is loaded: `is_member` reads `group.members.all()` (one query, none
when the caller prefetched the members, as the order page does); the rest need no query beyond
`access_for` (cached on the user).
"""

from tasks.models import RUNNING_STATUSES, Campaign, Person, Role, Task, Unit
from tasks.permissions import is_leader_for, is_office_for

from .models import Bulletin, BulletinStatus, OrderStatus, SupervisionGroup, SupervisionOrder

CHASERS = (Role.OFFICE, Role.INSPECTOR)
ADDRESSEE_ROLES = (Role.UNIT_OFFICIAL, Role.OFFICE)

# ---- Groups -----------------------------------------------------------------------------------------


def is_member(user: Person, group: SupervisionGroup) -> bool:
    """A member of an active group acts for it (records inspections, issues and closes out orders);
    a superuser acts for any group. Reads `group.members.all()` (prefetch it to save the query)."""
    if user.is_superuser:
        return True
    return group.is_active and any(member.pk == user.pk for member in group.members.all())


def in_group_scope(group: SupervisionGroup, unit: Unit) -> bool:
    """The unit lies at or under one of the group's scope units (reads `group.scope_units.all()`)."""
    return any(unit.path.startswith(scope.path) for scope in group.scope_units.all())


def in_group_actions(group: SupervisionGroup, task: Task) -> bool:
    """For a group limited to special actions, the task belongs to one of them."""
    limited = {action.pk for action in group.scope_special_actions.all()}
    return not limited or task.special_action_id in limited


# ---- Supervision orders --------------------------------------------------------------------------------


def is_addressee(user: Person, order: SupervisionOrder) -> bool:
    """The addressed unit's officials and office answer the order (签收, 整改反馈)."""
    return user.unit_id == order.unit_id and user.role in ADDRESSEE_ROLES


def can_acknowledge(user: Person, order: SupervisionOrder) -> bool:
    return order.status == OrderStatus.ISSUED and is_addressee(user, order)


def can_rectify(user: Person, order: SupervisionOrder) -> bool:
    return order.status == OrderStatus.ACKNOWLEDGED and is_addressee(user, order)


def may_verify(user: Person, order: SupervisionOrder) -> bool:
    """验收销号 and 退回: a member of the issuing group (the person check)."""
    return is_member(user, order.group)


def can_verify(user: Person, order: SupervisionOrder) -> bool:
    """验收销号 or 退回 offered: a rectified order, to a member of the issuing group."""
    return order.status == OrderStatus.RECTIFIED and may_verify(user, order)


# ---- Chasing (催办) --------------------------------------------------------------------------------------


def may_chase(user: Person) -> bool:
    """The office and inspectors chase by hand (the chase services also check the subject's scope)."""
    return bool(user.is_superuser or user.role in CHASERS)


def can_chase_task(user: Person, task: Task) -> bool:
    return task.status in RUNNING_STATUSES and may_chase(user)


def can_chase_order(user: Person, order: SupervisionOrder) -> bool:
    return order.status != OrderStatus.CLOSED and may_chase(user)


# ---- The office's settings ---------------------------------------------------------------------------


def may_decide_cards(user: Person, unit: Unit) -> bool:
    """亮牌, 不予亮牌, 撤牌: the office of the unit's region."""
    return is_office_for(user, unit)


def may_keep_calendar(user: Person, campaign: Campaign | None) -> bool:
    """The working-day calendar is the deployment's: the office of a region running a campaign keeps
    it; with no campaign, only a superuser."""
    if campaign is None:
        return user.is_superuser
    return is_office_for(user, campaign.owner)


# ---- Bulletins (情况通报) ------------------------------------------------------------------------------

EDITABLE_BULLETIN = (BulletinStatus.DRAFT, BulletinStatus.SIGNED)


def may_draft_bulletin(user: Person, region: Unit) -> bool:
    """Draft, edit, issue and discard: the office of the bulletin's region (or a superuser)."""
    return is_office_for(user, region)


def may_sign_bulletin(user: Person, region: Unit) -> bool:
    """签发: a leader of the bulletin's region (or a superuser)."""
    return user.is_superuser or is_leader_for(user, region)


def can_edit_bulletin(user: Person, bulletin: Bulletin) -> bool:
    """Edit the text or rebuild the figures: before issue (a signed bulletin edited goes back to draft)."""
    return bulletin.status in EDITABLE_BULLETIN and may_draft_bulletin(user, bulletin.region)


def can_sign_bulletin(user: Person, bulletin: Bulletin) -> bool:
    return bulletin.status == BulletinStatus.DRAFT and may_sign_bulletin(user, bulletin.region)


def can_issue_bulletin(user: Person, bulletin: Bulletin) -> bool:
    return bulletin.status == BulletinStatus.SIGNED and may_draft_bulletin(user, bulletin.region)


def can_discard_bulletin(user: Person, bulletin: Bulletin) -> bool:
    return bulletin.status in EDITABLE_BULLETIN and may_draft_bulletin(user, bulletin.region)
