"""The supervision office's reminder rules (提醒规则) for a campaign."""

from django.db import transaction
from django.utils.translation import gettext as _

from tasks.models import Campaign, Person
from tasks.services import require_office_for

from ..models import ReminderPolicy

POLICY_FIELDS = (
    "enabled",
    "due_soon_first",
    "due_soon_second",
    "overdue_repeat_days",
    "escalate_after_days",
    "stale_report_days",
)


@transaction.atomic
def policy_update(*, campaign: Campaign, by: Person, **values) -> ReminderPolicy:
    """The supervision office edits a campaign's rules (the names in POLICY_FIELDS)."""
    unknown = sorted(set(values) - set(POLICY_FIELDS))
    if unknown:
        raise TypeError(f"policy_update() got unexpected keyword arguments: {', '.join(unknown)}")
    require_office_for(by, campaign.owner, _("修改提醒规则"))
    policy, _created = ReminderPolicy.objects.select_for_update().get_or_create(campaign=campaign)
    for name, value in values.items():
        setattr(policy, name, value)
    policy.updated_by = by
    policy.full_clean()
    policy.save()
    return policy
