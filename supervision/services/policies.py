"""The supervision office's rules for a campaign: its reminders (提醒规则) and its ranking formula (排名规则)."""

from django.db import transaction
from django.utils.translation import gettext as _

from tasks.models import Campaign, Person
from tasks.services import require_office_for

from ..models import RankingPolicy, ReminderPolicy

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


RANKING_POLICY_FIELDS = (
    "on_time_weight",
    "timeliness_weight",
    "completion_weight",
    "empty_rates",
    "overdue_penalty",
    "returned_penalty",
    "overdue_order_penalty",
)


@transaction.atomic
def ranking_policy_update(*, campaign: Campaign, by: Person, **values) -> RankingPolicy:
    """The supervision office sets a campaign's ranking formula (the names in RANKING_POLICY_FIELDS);
    the weights must sum to 100 (the model's constraints give the message)."""
    unknown = sorted(set(values) - set(RANKING_POLICY_FIELDS))
    if unknown:
        raise TypeError(f"ranking_policy_update() got unexpected keyword arguments: {', '.join(unknown)}")
    require_office_for(by, campaign.owner, _("修改排名规则"))
    policy, _created = RankingPolicy.objects.select_for_update().get_or_create(campaign=campaign)
    for name, value in values.items():
        setattr(policy, name, value)
    policy.updated_by = by
    policy.full_clean()
    policy.save()
    return policy
