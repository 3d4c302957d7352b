"""Supervision group services, and the scope checks of inspections and orders."""

import pytest
from django.core.exceptions import ValidationError

from supervision import services
from supervision.services import group_set_members
from tasks import services as task_services
from tests.factories import days


def test_changing_members_keeps_the_groups_leader(world):
    group_set_members(group=world.group, by=world.city_office, members=[world.office])
    assert set(world.group.members.all()) == {world.inspector, world.office}


# ---- Scope of what an inspection checks and an order names ----------------------------------------------


@pytest.fixture
def heating_group(world):
    """A group limited to one special action (供暖保障), inside 洪洞县."""
    heating = task_services.special_action_create(
        campaign=world.campaign, name="供暖保障专项行动", code="GN", by=world.office
    )
    return services.group_create(
        name="县供暖督导组",
        issuing_unit=world.county,
        by=world.office,
        leader=world.office,
        scope_units=[world.county],
        scope_special_actions=[heating],
    )


def test_an_inspection_cannot_check_a_task_outside_the_groups_special_actions(world, heating_group):
    with pytest.raises(ValidationError) as refused:
        services.inspection_record(
            group=heating_group,
            by=world.office,
            kind="spot_check",
            date=days(0),
            summary="抽查",
            tasks=[world.task()],  # a 安全生产 task
        )
    assert "不在县供暖督导组督导的专项行动内" in refused.value.message_dict["tasks"][0]


def test_an_order_cannot_name_a_task_outside_the_groups_special_actions(world, heating_group):
    with pytest.raises(ValidationError) as refused:
        services.order_issue(
            group=heating_group,
            by=world.office,
            unit=world.wanan,
            problem="问题",
            requirement="整改",
            deadline=days(3),
            tasks=[world.task()],
        )
    assert list(refused.value.message_dict) == ["tasks"]


def test_a_finding_without_text_is_refused_and_nothing_is_saved(world):
    from supervision.models import Inspection

    with pytest.raises(ValidationError) as refused:
        services.inspection_record(
            group=world.group,
            by=world.inspector,
            kind="on_site",
            date=days(0),
            summary="检查",
            findings=[{"unit": world.wanan, "text": "  "}],
        )
    assert refused.value.message_dict["findings"] == ["请填写发现问题。"]
    assert not Inspection.objects.exists()
