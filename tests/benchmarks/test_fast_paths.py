"""The request path's shortcuts give the answers of the long way round: the task API's JSON comes from rows
and a hand-written representation (tasks/api/views.py `tasks_json`), not from TaskSerializer's fields, and
must be exactly TaskSerializer's output, for tasks in every state; a viewer's region and group scopes come
from one statement (tasks/selectors.py `access_for`)."""

import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from tasks import selectors
from tasks.api.serializers import TaskSerializer
from tasks.api.views import TASK_COLUMNS, tasks_json
from tasks.models import Person
from tasks.selectors import access_for

pytestmark = pytest.mark.django_db


def serializer_output(user):
    tasks = selectors.tasks_visible_to(user).prefetch_related("cooperations__unit").order_by("id")
    return json.loads(json.dumps(TaskSerializer(tasks, many=True).data, cls=DjangoJSONEncoder))


def test_every_task_reads_as_task_serializer_writes_it(world, story):
    rows = list(selectors.tasks_visible_to(world.office).values(*TASK_COLUMNS).order_by("id"))

    assert len(rows) > 15
    assert tasks_json(rows) == serializer_output(world.office)


def test_the_list_and_the_detail_answer_what_task_serializer_writes(world, story, client):
    expected = {task["id"]: task for task in serializer_output(world.office)}
    client.force_login(world.office)

    listed = client.get("/api/v1/tasks/?page_size=500").json()["results"]
    detail = client.get(f"/api/v1/tasks/{story.waiting.pk}/").json()

    assert {task["id"]: task for task in listed} == expected
    assert detail == expected[story.waiting.pk]
    assert [unit["name"] for unit in detail["cooperating_units"]] == ["山目乡", "县应急管理局"]


def test_an_office_in_a_department_gets_its_region_and_scopes_in_one_query(
    world, story, django_assert_num_queries
):
    duty = Person.objects.get(pk=story.duty.pk)

    with django_assert_num_queries(1):
        access = access_for(duty)

    assert access.region == world.county
    assert access.region.name == "洪洞县"
    assert dict(access.scopes) == {
        world.county.path: frozenset({world.safety.pk}),
        world.wanan.path: None,
        world.shanmu.path: None,
    }
