"""Marking my in-app messages (站内消息) read. Reading the inbox is supervision.selectors.inbox_for."""

from django.utils import timezone

from tasks.models import Person

from ..models import InboxItem


def inbox_mark_read(*, item: InboxItem) -> InboxItem:
    """Mark one of my items read (again is harmless: the first time is kept)."""
    if item.read_at is None:
        now = timezone.now()
        InboxItem.objects.filter(pk=item.pk, read_at__isnull=True).update(read_at=now)
        item.read_at = now
    return item


def inbox_mark_all_read(*, person: Person) -> int:
    """Mark all my unread items read; returns how many there were."""
    return InboxItem.objects.filter(person=person, read_at__isnull=True).update(read_at=timezone.now())
