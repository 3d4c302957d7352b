"""Every write of supervision work, as `<noun>_<verb>` services (see STYLE.md), one module per area:

- groups: supervision groups, and the checks their work shares (who acts for a group, its scope);
- inspections: inspections with their findings and photos;
- orders: supervision orders, from issue to close-out, with the rectification's evidence;
- cards: red and yellow cards, proposed by the system and decided by the office;
- chasing: 催办 by hand, of a task or an order;
- endpoints: the office's notification channels, and sending a failed delivery again;
- calendar: the working-day calendar;
- policies: a campaign's reminder rules and ranking formula;
- inbox: marking my in-app messages read;
- bulletins: 情况通报, from draft to issued;
- webhooks: the office's outbound webhook endpoints.

Import them from here (`from supervision.services import order_issue`): the modules are how the
package is laid out, not part of its interface. The daily reminder scan is supervision/reminders.py;
the reads are supervision/selectors.py; who may act is supervision/permissions.py.
"""

from .bulletins import (
    bulletin_discard,
    bulletin_draft,
    bulletin_edit,
    bulletin_issue,
    bulletin_refresh,
    bulletin_sign,
)
from .calendar import calendar_day_remove, calendar_day_set, calendar_year
from .cards import (
    card_dismiss,
    card_issue,
    card_lift,
    cards_propose,
    overdue_days,
    red_after_days,
    red_candidates,
    yellow_candidates,
    yellow_items,
)
from .chasing import chase_order, chase_task, task_chase
from .endpoints import delivery_retry, endpoint_create, endpoint_delete, endpoint_set_enabled
from .groups import group_create, group_set_members
from .inbox import inbox_mark_all_read, inbox_mark_read
from .inspections import inspection_record
from .orders import (
    order_acknowledge,
    order_issue,
    order_number,
    order_report_rectification,
    order_return,
    order_verify,
)
from .policies import POLICY_FIELDS, RANKING_POLICY_FIELDS, policy_update, ranking_policy_update
from .webhooks import webhook_create, webhook_delete, webhook_rotate_secret, webhook_update

__all__ = [
    "POLICY_FIELDS",
    "RANKING_POLICY_FIELDS",
    "bulletin_discard",
    "bulletin_draft",
    "bulletin_edit",
    "bulletin_issue",
    "bulletin_refresh",
    "bulletin_sign",
    "calendar_day_remove",
    "calendar_day_set",
    "calendar_year",
    "card_dismiss",
    "card_issue",
    "card_lift",
    "cards_propose",
    "chase_order",
    "chase_task",
    "delivery_retry",
    "endpoint_create",
    "endpoint_delete",
    "endpoint_set_enabled",
    "group_create",
    "group_set_members",
    "inbox_mark_all_read",
    "inbox_mark_read",
    "inspection_record",
    "order_acknowledge",
    "order_issue",
    "order_number",
    "order_report_rectification",
    "order_return",
    "order_verify",
    "overdue_days",
    "policy_update",
    "ranking_policy_update",
    "red_after_days",
    "red_candidates",
    "task_chase",
    "webhook_create",
    "webhook_delete",
    "webhook_rotate_secret",
    "webhook_update",
    "yellow_candidates",
    "yellow_items",
]
