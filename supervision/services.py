"""Writes for supervision groups. Inspections, orders and cards come with their own issue."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tasks.models import Person, Role, SpecialAction, Unit
from tasks.selectors import access_for

from .models import SupervisionGroup


def _require_office(by: Person, unit: Unit) -> None:
    access = access_for(by)
    if by.is_superuser:
        return
    if by.role != Role.OFFICE or access.region is None or not unit.path.startswith(access.region.path):
        raise PermissionDenied(_("只有本地区的督查室可以组建和调整督导检查组。"))


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
    _require_office(by, issuing_unit)
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
    _require_office(by, group.issuing_unit)
    # The group's leader stays a member: membership is what lets them read the group's scope.
    group.members.set(list(dict.fromkeys([*([group.leader] if group.leader else []), *members])))
    return group
