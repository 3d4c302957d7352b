"""Reads of supervision work, scoped to the caller (see tasks/selectors.py for the rules of who reads what).

A supervision order is visible to everyone whose subtrees (home region, or a group's scope) hold the
addressed unit, and to the members of the group that issued it. An inspection is visible with its
group: to those whose subtrees hold the group's scope or its issuing unit, and to the group's members.
Superusers read everything.
"""

import datetime
from functools import reduce
from operator import or_

from django.db.models import Prefetch, Q, QuerySet

from tasks.models import Unit
from tasks.selectors import NOTHING, access_for

from .models import Finding, Inspection, OrderStatus, SupervisionGroup, SupervisionOrder


def _in_roots_q(roots: list[str], field: str) -> Q:
    return reduce(or_, (Q(**{f"{field}__path__startswith": root}) for root in roots), NOTHING)


def _my_groups(user) -> QuerySet:
    if not getattr(user, "is_authenticated", False):
        return SupervisionGroup.objects.none().values("pk")
    return SupervisionGroup.objects.filter(members=user).values("pk")


def groups_visible_to(user) -> QuerySet[SupervisionGroup]:
    """Groups sent by, or to, a region I read (or one above it), and the groups I belong to."""
    access = access_for(user)
    if access.everything:
        return SupervisionGroup.objects.all()
    units = Unit.objects.filter(access.unit_q()).values("pk")
    scoped_to_my_units = SupervisionGroup.scope_units.through.objects.filter(unit__in=units).values(
        "supervisiongroup"
    )
    return SupervisionGroup.objects.filter(
        Q(pk__in=scoped_to_my_units) | Q(issuing_unit__in=units) | Q(pk__in=_my_groups(user))
    )


# ---- Inspections -----------------------------------------------------------------------------------


def _inspection_groups_q(user, prefix: str = "") -> Q:
    access = access_for(user)
    if access.everything:
        return Q()
    roots = access.roots()
    scoped = SupervisionGroup.scope_units.through.objects.filter(_in_roots_q(roots, "unit")).values(
        "supervisiongroup"
    )
    return (
        Q(**{f"{prefix}group__in": scoped})
        | _in_roots_q(roots, f"{prefix}group__issuing_unit")
        | Q(**{f"{prefix}group__in": _my_groups(user)})
    )


def inspections_visible_to(user) -> QuerySet[Inspection]:
    findings = Finding.objects.select_related("unit", "task", "order").order_by("id")
    return (
        Inspection.objects.filter(_inspection_groups_q(user))
        .select_related("group", "created_by__unit")
        .prefetch_related("units_visited", "tasks_checked", Prefetch("findings", queryset=findings))
        .order_by("-date", "-id")
    )


def findings_visible_to(user) -> QuerySet[Finding]:
    """Findings are visible with their inspection."""
    return (
        Finding.objects.filter(_inspection_groups_q(user, "inspection__"))
        .select_related("inspection__group", "unit", "task", "order")
        .order_by("-inspection__date", "-inspection_id", "id")
    )


# ---- Supervision orders ---------------------------------------------------------------------------


def order_overdue_q(today: datetime.date) -> Q:
    """Past its deadline and not closed out (today in Asia/Shanghai)."""
    return Q(deadline__lt=today) & ~Q(status=OrderStatus.CLOSED)


def orders_visible_to(user) -> QuerySet[SupervisionOrder]:
    access = access_for(user)
    orders = SupervisionOrder.objects.all()
    if not access.everything:
        orders = orders.filter(_in_roots_q(access.roots(), "unit") | Q(group__in=_my_groups(user)))
    return (
        orders.select_related("group", "unit", "issued_by__unit")
        .prefetch_related("cooperating_units", "tasks")
        .order_by("-issued_at", "-id")
    )


def order_events_prefetch() -> Prefetch:
    from .models import OrderEvent

    return Prefetch("events", queryset=OrderEvent.objects.select_related("actor__unit").order_by("at", "id"))


def orders_addressed_to(user) -> list[SupervisionOrder]:
    """督办单 addressed to my unit that are not closed yet (the 工作台 lists them): at most 20, soonest first."""
    if user.unit_id is None:
        return []
    return list(
        SupervisionOrder.objects.filter(unit=user.unit_id)
        .exclude(status=OrderStatus.CLOSED)
        .select_related("group")
        .order_by("deadline", "id")[:20]
    )
