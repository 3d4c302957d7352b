"""Admin for the supervision office (督查室).

Who may use it. The office's people are `is_staff` (person_create makes every office
user staff) but hold no Django model permissions, and no data migration hands them
any. Permissions are granted by role instead, in `ServiceAdminMixin`: a superuser or
an active staff user with the office role may view every model and add or change
what a service can write; any other staff user falls back to Django's model
permissions. Nobody, superusers included, gets more than the services allow: each
admin declares `allow_add` / `allow_change`, deletes are off everywhere (people are
deactivated instead) and a task event can never be changed or deleted. What rows a
user sees is scoped by `tasks.selectors` (a superuser sees all), and the services
check again who may act.

How writes go. Every add, change, inline row and action calls a service, so each
change lands on the task's timeline. `save_model`, `save_related`, `save_formset` and
`delete_model` are overridden by the mixin to refuse a plain write; an admin opts in
by calling the service itself.

How service errors reach the user: see `ServiceAdminMixin._changeform_view`.
"""

from . import campaigns, imports, indicators, people, tokens, work  # noqa: F401  (registers the admins)
from .base import ServiceAdminMixin, adopt, service_call

__all__ = ["ServiceAdminMixin", "adopt", "service_call"]
