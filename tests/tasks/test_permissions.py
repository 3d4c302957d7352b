"""tasks/permissions.py: the task page offers a step to exactly the people the service lets take it,
because both ask the same predicate."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from tasks import services
from tasks.permissions import TaskPermissions, cooperating_unit_ids
from tests.factories import days


class _Undo(Exception):
    pass


def service_lets(call, *args) -> bool:
    """Whether the service gets past its person check (it may still refuse the input or the status);
    whatever it wrote is rolled back."""
    try:
        with transaction.atomic():
            call(*args)
            raise _Undo
    except _Undo:
        return True
    except PermissionDenied:
        return False
    except ValidationError:
        return True


STEPS = {
    "report": lambda task, by: services.progress_report(task=task, by=by, percent=20, done="已排查"),
    "milestone": lambda task, by: services.milestone_add(
        task=task, by=by, title="排查完毕", due_date=days(5)
    ),
    "request_close": lambda task, by: services.task_request_close(task=task, by=by),
    "extend": lambda task, by: services.extension_request(
        task=task, by=by, new_deadline=days(20), reason="雨雪"
    ),
    "close": lambda task, by: services.task_close(task=task, by=by),
    "cancel": lambda task, by: services.task_cancel(task=task, by=by, reason="合并"),
    "instruct": lambda task, by: services.instruction_write(task=task, by=by, text="抓紧落实"),
}

PEOPLE = (
    "wanan_official",
    "shanmu_official",
    "yingji_official",
    "office",
    "other_office",
    "city_office",
    "leader",
    "inspector",
)


@pytest.mark.parametrize("person", PEOPLE)
def test_the_task_page_offers_a_step_to_exactly_those_the_service_lets_take_it(world, person):
    task = world.task(cooperating_units=[world.shanmu])
    services.progress_report(task=task, by=world.wanan_official, percent=10, done="已启动")
    task.refresh_from_db()
    user = getattr(world, person)
    offered = TaskPermissions(user, task, cooperating_unit_ids(task))
    for step, call in STEPS.items():
        assert getattr(offered, f"may_{step}") == service_lets(call, task, user), (person, step)
