"""The inspector's panels on the 工作台 (registered through tasks.seams.workspace_panels in seams.py).

For a member of an active supervision group: the 督办单 awaiting my 验收 (rectified orders of my
groups), the 督办单 overdue in my scope (issued by my groups, or addressed to a unit in their scope),
and the inspections I recorded. Someone in no active group gets no panel, at the cost of one query;
a unit official or a read-only user never asks.

Three queries at most whatever the number of rows: my groups (with their scope paths), then one
limited list per panel.
"""

from functools import reduce
from operator import or_

from django.db.models import Count, Q
from django.utils import timezone

from tasks.models import Role
from tasks.selectors import NOTHING

from .models import Inspection, OrderStatus, SupervisionGroup, SupervisionOrder
from .selectors import order_overdue_q

# Rows in one panel's list; the header counts them ("20+" beyond).
PANEL_ROWS = 20
# Roles that sit in supervision groups: the city's inspectors, and the county office's 两办 groups.
MEMBER_ROLES = (Role.INSPECTOR, Role.OFFICE)


def my_active_groups(user) -> list[tuple[int, str]]:
    """(group id, scope unit path) for each active group I am a member of (one query)."""
    if not getattr(user, "is_authenticated", False) or user.role not in MEMBER_ROLES:
        return []
    return list(
        SupervisionGroup.objects.filter(is_active=True, members=user)
        .values_list("pk", "scope_units__path")
        .order_by("pk")
    )


def _in_scope_q(paths) -> Q:
    return reduce(or_, (Q(unit__path__startswith=path) for path in paths), NOTHING)


def orders_awaiting_my_verification(group_ids) -> list[SupervisionOrder]:
    """Rectified orders of my groups: the unit reported, a member of the group verifies (验收)."""
    return list(
        SupervisionOrder.objects.filter(group__in=group_ids, status=OrderStatus.RECTIFIED)
        .select_related("group", "unit")
        .order_by("deadline", "id")[: PANEL_ROWS + 1]
    )


def orders_overdue_in_my_scope(group_ids, paths, today) -> list[SupervisionOrder]:
    """Open orders past their deadline, issued by my groups or addressed to a unit in their scope."""
    mine = Q(group__in=group_ids) | _in_scope_q(paths)
    return list(
        SupervisionOrder.objects.filter(mine & order_overdue_q(today))
        .select_related("group", "unit")
        .order_by("deadline", "id")[: PANEL_ROWS + 1]
    )


def inspections_i_started(user) -> list[Inspection]:
    return list(
        Inspection.objects.filter(created_by=user)
        .select_related("group")
        .annotate(finding_count=Count("findings"))
        .order_by("-date", "-id")[: PANEL_ROWS + 1]
    )


def _panel_list(rows) -> dict:
    return {"rows": rows[:PANEL_ROWS], "count": len(rows), "more": len(rows) > PANEL_ROWS}


def inspector_panel(user) -> dict | None:
    groups = my_active_groups(user)
    if not groups:
        return None
    today = timezone.localdate()
    group_ids = sorted({pk for pk, _path in groups})
    paths = sorted({path for _pk, path in groups if path})
    return {
        "template": "supervision/partials/workspace_inspector.html",
        "awaiting_verification": _panel_list(orders_awaiting_my_verification(group_ids)),
        "overdue": _panel_list(orders_overdue_in_my_scope(group_ids, paths, today)),
        "inspections": _panel_list(inspections_i_started(user)),
    }
