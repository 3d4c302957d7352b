"""The timeline is the audit trail: on PostgreSQL the database itself refuses to rewrite it."""

import pytest
from django.db import DatabaseError, transaction

from tasks.models import EventKind, TaskEvent


def test_timeline_rows_cannot_be_edited_in_the_database(world, postgres):
    task = world.task()
    event = TaskEvent.objects.get(task=task, kind=EventKind.CREATED)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        TaskEvent.objects.filter(pk=event.pk).update(note="rewritten")
    assert TaskEvent.objects.get(pk=event.pk).note == ""


def test_timeline_rows_cannot_be_deleted_in_the_database(world, postgres):
    task = world.task()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        TaskEvent.objects.filter(task=task).delete()
    assert TaskEvent.objects.filter(task=task).count() == 1
