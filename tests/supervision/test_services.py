"""Supervision group services."""

from supervision.services import group_set_members


def test_changing_members_keeps_the_groups_leader(world):
    group_set_members(group=world.group, by=world.city_office, members=[world.office])
    assert set(world.group.members.all()) == {world.inspector, world.office}
