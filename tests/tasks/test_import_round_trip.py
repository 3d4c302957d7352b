"""The round trip of issue 14: the demo's task list exported as a ledger (台账) and imported into an empty
campaign gives the same tasks; importing the same ledger again creates and changes nothing."""

import pytest
from django.core.management import call_command

from tasks import services
from tasks.demo.data import CAMPAIGN_NAME
from tasks.imports import import_commit, import_preview
from tasks.models import Campaign, Person, Task
from tests.import_workbooks import upload

# The whole demo county is built first: seconds (make test-fast skips it).
pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def demo() -> Campaign:
    call_command("load_demo", "--quiet")
    return Campaign.objects.select_related("owner").get(name=CAMPAIGN_NAME)


@pytest.fixture
def office() -> Person:
    return Person.objects.get(username="office")


def ledger_of(api, campaign, office) -> bytes:
    response = api(office).get("/api/v1/tasks/", {"campaign": campaign.pk, "format": "xlsx"})
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return response.content


def import_file(campaign, office, content: bytes):
    batch = import_preview(campaign=campaign, file=upload("洪洞县冬季行动推进台账.xlsx", content), by=office)
    assert batch.preview["problems"] == [], batch.preview["problems"][:10]
    return import_commit(batch=batch, by=office)


def empty_campaign_like(demo, office) -> Campaign:
    return services.campaign_create(
        owner=demo.owner,
        name="洪洞县冬季行动(导入)",
        code="HX",
        start_date=demo.start_date,
        end_date=demo.end_date,
        by=office,
    )


def tasks_of(campaign) -> dict[tuple[str, str], dict]:
    """Each task's importable fields, by (title, special action name)."""
    tasks = (
        Task.objects.filter(campaign=campaign)
        .select_related("special_action", "lead_unit", "responsible_leader")
        .prefetch_related("cooperating_units", "milestones")
    )
    found = {}
    for task in tasks:
        key = (task.title, task.special_action.name)
        assert key not in found, key
        found[key] = {
            "special_action": task.special_action.name,
            "description": task.description,
            "target": task.target,
            "lead_unit": task.lead_unit_id,
            "cooperating_units": sorted(unit.pk for unit in task.cooperating_units.all()),
            "responsible_leader": task.responsible_leader_id,
            "start_date": task.start_date,
            "deadline": task.deadline,
            "milestones": sorted((m.title, m.due_date) for m in task.milestones.all()),
        }
    return found


def test_the_exported_demo_ledger_imports_into_an_empty_campaign_as_the_same_tasks(api, demo, office):
    ledger = ledger_of(api, demo, office)
    copy = empty_campaign_like(demo, office)

    batch = import_file(copy, office, ledger)

    original, imported = tasks_of(demo), tasks_of(copy)
    # The demo is no trivial case: dozens of tasks, with leaders, cooperating units and milestones.
    assert len(original) >= 50
    assert all(
        any(task[field] for task in original.values())
        for field in ("responsible_leader", "cooperating_units", "milestones", "description", "target")
    )
    assert batch.preview["counts"]["create"] == len(original)
    assert len(imported) == len(original)
    assert imported.keys() == original.keys()
    for key, fields in original.items():
        assert imported[key] == fields, key


def test_importing_the_same_ledger_again_creates_and_changes_nothing(api, demo, office):
    ledger = ledger_of(api, demo, office)
    copy = empty_campaign_like(demo, office)
    import_file(copy, office, ledger)
    before = tasks_of(copy)

    again = import_file(copy, office, ledger)

    counts = again.preview["counts"]
    assert (counts["create"], counts["update"]) == (0, 0)
    assert counts["unchanged"] == len(before)
    assert tasks_of(copy) == before
