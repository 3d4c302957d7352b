"""Who sees what: home region, inspectors' scopes, other counties invisible."""

import pytest
from django.http import Http404

from tasks.selectors import (
    campaigns_visible_to,
    home_region,
    task_get_for,
    tasks_for_my_unit,
    tasks_visible_to,
)


def codes(qs):
    return sorted(qs.values_list("code", flat=True))


def test_home_region_is_the_nearest_county_city_or_province_above(world):
    assert home_region(world.mine) == world.county
    assert home_region(world.wanan) == world.county
    assert home_region(world.county) == world.county
    assert home_region(world.city) == world.city


def test_township_official_reads_every_task_in_the_county(world):
    own = world.task(lead_unit=world.wanan)
    other = world.task(lead_unit=world.yingji)
    assert codes(tasks_visible_to(world.wanan_official)) == sorted([own.code, other.code])


def test_another_countys_official_cannot_see_the_countys_tasks(world):
    task = world.task()
    assert codes(tasks_visible_to(world.other_official)) == []
    with pytest.raises(Http404):
        task_get_for(world.other_official, task.pk)
    assert list(campaigns_visible_to(world.other_official)) == []


def test_inspector_sees_the_county_in_the_groups_scope(world):
    task = world.task()
    assert task_get_for(world.inspector, task.pk) == task
    assert list(campaigns_visible_to(world.inspector)) == [world.campaign]


def test_inspector_outside_every_group_sees_nothing_of_the_county(world):
    task = world.task()
    world.group.members.remove(world.inspector)
    assert codes(tasks_visible_to(world.inspector)) == []
    with pytest.raises(Http404):
        task_get_for(world.inspector, task.pk)


def test_group_limited_to_special_actions_sees_only_their_tasks(world):
    from tasks import services

    ecology = services.special_action_create(
        campaign=world.campaign, name="生态环保专项行动", code="ST", by=world.office
    )
    safety_task = world.task()
    ecology_task = world.task(special_action=ecology, title="散煤“三清零”")
    world.group.scope_special_actions.set([ecology])
    assert codes(tasks_visible_to(world.inspector)) == [ecology_task.code]
    assert safety_task.code not in codes(tasks_visible_to(world.inspector))


def test_city_office_sees_every_county(world):
    task = world.task()
    assert task_get_for(world.city_office, task.pk) == task
    assert list(campaigns_visible_to(world.city_office)) == [world.campaign]


def test_my_units_tasks_include_cooperation_and_exclude_closed(world):
    from tasks import services

    led = world.task(lead_unit=world.wanan)
    helping = world.task(lead_unit=world.yingji, cooperating_units=[world.wanan])
    world.task(lead_unit=world.shanmu)
    cancelled = world.task(lead_unit=world.wanan)
    services.task_cancel(task=cancelled, by=world.office, reason="与其他任务合并")
    assert codes(tasks_for_my_unit(world.wanan_official)) == sorted([led.code, helping.code])


def test_visibility_is_a_fixed_number_of_queries(world, django_assert_num_queries):
    for n in range(5):
        world.task(title=f"任务{n}")
    official = type(world.wanan_official).objects.get(pk=world.wanan_official.pk)
    inspector = type(world.inspector).objects.get(pk=world.inspector.pk)
    with django_assert_num_queries(2):  # home region, then the list
        assert len(list(tasks_visible_to(official))) == 5
    with django_assert_num_queries(2):  # group scopes (the unit is a county itself), then the list
        assert len(list(tasks_visible_to(inspector))) == 5
