"""What supervision adds to the tasks app through its seams (tasks/seams.py), registered once in
SupervisionConfig.ready(): tasks never imports supervision."""

from django.urls import reverse
from django.utils.translation import gettext as _

from tasks import seams as tasks_seams

from . import handoffs, permissions, webhooks
from .models import OrderStatus, SupervisionGroup, SupervisionOrder
from .selectors import orders_addressed_to
from .views.chasing import CHASE
from .workspace import inspector_panel


def group_scope_sql() -> str:
    """A supervision group's members read its scope: (unit path, special action or NULL) rows for
    the person whose id is the one parameter; only active groups count."""
    unit = SupervisionGroup.scope_units.field.related_model._meta.db_table
    group = SupervisionGroup._meta.db_table
    members = SupervisionGroup.members.through._meta.db_table
    scope_units = SupervisionGroup.scope_units.through._meta.db_table
    actions = SupervisionGroup.scope_special_actions.through._meta.db_table
    return f"""
        SELECT su.path, a.specialaction_id
          FROM {group} g
          JOIN {members} m ON m.supervisiongroup_id = g.id
          JOIN {scope_units} gs ON gs.supervisiongroup_id = g.id
          JOIN {unit} su ON su.id = gs.unit_id
          LEFT JOIN {actions} a ON a.supervisiongroup_id = g.id
         WHERE m.person_id = %s AND g.is_active"""


def orders_panel(user) -> dict:
    """The 工作台's panel of 督办单 addressed to my unit (empty: the template shows nothing)."""
    return {"template": "supervision/partials/workspace_orders.html", "orders": orders_addressed_to(user)}


def open_orders_warning(user, task) -> list[tasks_seams.CloseOutWarning]:
    """The 督办单 on this task not yet closed out, for the 申请销号 form: one query."""
    orders = (
        SupervisionOrder.objects.filter(tasks=task)
        .exclude(status=OrderStatus.CLOSED)
        .order_by("deadline", "id")
        .only("id", "number", "status", "deadline")
    )
    return [
        tasks_seams.CloseOutWarning(
            text=_("督办单 %(number)s(%(status)s,整改时限 %(deadline)s)未销号")
            % {"number": order.number, "status": order.get_status_display(), "deadline": order.deadline},
            url=reverse("order-detail", args=[order.pk]),
        )
        for order in orders
    ]


def may_chase(user, task) -> bool:
    return permissions.may_chase(user)


def register() -> None:
    if orders_panel in tasks_seams.workspace_panels:
        return
    tasks_seams.access_scopes.append(tasks_seams.ScopeSource(sql=group_scope_sql))
    tasks_seams.workspace_panels.append(orders_panel)
    # Handoffs in tasks/services.py reach the inboxes and the outbox at once (supervision/handoffs.py).
    tasks_seams.handoff_listeners.append(handoffs.on_task_handoffs)
    # Steps on a task's timeline become outbound webhook events (supervision/webhooks.py).
    tasks_seams.change_listeners.append(webhooks.on_task_changes)
    # A group member's work: orders awaiting my 验收, orders overdue in my scope, my inspections.
    tasks_seams.workspace_panels.append(inspector_panel)
    tasks_seams.close_out_warnings.append(open_orders_warning)
    # The 催办 step on the task page: its form posts to supervision.views.chasing.task_chase.
    tasks_seams.task_page_actions[CHASE] = tasks_seams.PageAction(
        name=CHASE,
        template="supervision/partials/task_chase.html",
        url_name="task-chase",
        may=may_chase,
        can=permissions.can_chase_task,
    )
