"""督查 pages, one module per area:

- orders: the 督查 home (the orders a user may see), one order with its steps, the printable order;
- inspections: my groups, inspections (record, read, turn a finding into an order), a new order, and
  the checked downloads of supervision evidence;
- notifications: the inbox (the bell) and the office's reminder settings;
- units: a unit's page and the red and yellow cards page, with the office's card decisions;
- dashboard: the 驾驶舱;
- ranking: the ranking page (争先进位), its Excel download, and the office's ranking rules;
- bulletins: 情况通报: the list, a new draft, one bulletin with its editor and steps, print and downloads;
- chasing: the task page's 催办 step (the seam with tasks/views/task_page.py);
- webhooks: the office's outbound webhook endpoints.

Views are thin: they validate with supervision/forms.py, read through supervision/selectors.py, ask
supervision/permissions.py which steps to offer, and write through supervision.services.
"""

from . import bulletins, chasing, dashboard, inspections, notifications, orders, ranking, units, webhooks

urlpatterns = [
    *orders.urlpatterns,
    *inspections.urlpatterns,
    *dashboard.urlpatterns,
    *ranking.urlpatterns,
    *bulletins.urlpatterns,
    *units.urlpatterns,
    *notifications.urlpatterns,
    *chasing.urlpatterns,
    *webhooks.urlpatterns,
]
