"""Supervision groups (督导检查组), and the checks every group's work shares: who acts for a group, and
what lies inside its scope."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tasks.models import Person, SpecialAction, Task, Unit
from tasks.services import require_office_for

from .. import permissions
from ..models import SupervisionGroup


@transaction.atomic
def group_create(
    *,
    name: str,
    issuing_unit: Unit,
    by: Person,
    scope_units: Iterable[Unit],
    leader: Person | None = None,
    members: Iterable[Person] = (),
    scope_special_actions: Iterable[SpecialAction] = (),
    order_prefix: str = "",
) -> SupervisionGroup:
    """Form a supervision group: the city's numbered groups, or a county's 两办 groups."""
    require_office_for(by, issuing_unit, _("组建和调整督导检查组"))
    if not issuing_unit.is_region:
        raise ValidationError({"issuing_unit": _("督导检查组只能由省、市或县派出。")})
    scope_units = list(scope_units)
    if not scope_units:
        raise ValidationError({"scope_units": _("请至少选择一个督导范围单位。")})
    for unit in scope_units:
        if not unit.path.startswith(issuing_unit.path):
            raise ValidationError(
                {
                    "scope_units": _("%(unit)s不在%(issuer)s的管辖范围内。")
                    % {"unit": unit, "issuer": issuing_unit}
                }
            )
    members = list(dict.fromkeys([*([leader] if leader else []), *members]))
    group = SupervisionGroup(
        name=name.strip(), issuing_unit=issuing_unit, leader=leader, order_prefix=order_prefix.strip()
    )
    group.full_clean()
    group.save()
    group.members.set(members)
    group.scope_units.set(scope_units)
    group.scope_special_actions.set(scope_special_actions)
    return group


@transaction.atomic
def group_set_members(*, group: SupervisionGroup, by: Person, members: Iterable[Person]) -> SupervisionGroup:
    require_office_for(by, group.issuing_unit, _("组建和调整督导检查组"))
    # The group's leader stays a member: membership is what lets them read the group's scope.
    group.members.set(list(dict.fromkeys([*([group.leader] if group.leader else []), *members])))
    return group


# ---- Shared checks ---------------------------------------------------------------------------------------


def require_member(by: Person, group: SupervisionGroup, action: str) -> None:
    if not permissions.is_member(by, group):
        raise PermissionDenied(
            _("只有%(group)s的成员可以%(action)s。") % {"group": group.name, "action": action}
        )


def require_in_scope(group: SupervisionGroup, unit: Unit, field: str) -> None:
    if not permissions.in_group_scope(group, unit):
        raise ValidationError(
            {field: _("%(unit)s不在%(group)s的督导范围内。") % {"unit": unit, "group": group.name}}
        )


def require_task_in_scope(group: SupervisionGroup, task: Task, field: str) -> None:
    """The task's lead unit lies in the scope and, for a group limited to special actions, the task
    belongs to one of them."""
    require_in_scope(group, task.lead_unit, field)
    if not permissions.in_group_actions(group, task):
        raise ValidationError(
            {
                field: _("任务“%(task)s”不在%(group)s督导的专项行动内。")
                % {"task": task.title, "group": group.name}
            }
        )
