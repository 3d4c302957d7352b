"""Supervision groups in the admin: formed and re-staffed through the services, scoped to the region."""

from django.urls import reverse

from supervision.models import SupervisionGroup
from supervision.services import group_create
from tasks import services


def group_data(world, **overrides) -> dict:
    data = {
        "name": "县两办第一督查组",
        "issuing_unit": world.county.pk,
        "leader": world.leader.pk,
        "members": [world.office.pk],
        "scope_units": [world.wanan.pk, world.shanmu.pk],
        "scope_special_actions": [world.safety.pk],
        "order_prefix": "洪督",
    }
    data.update(overrides)
    return data


def test_office_forms_a_group_through_the_service(client, world):
    client.force_login(world.office)

    response = client.post(reverse("admin:supervision_supervisiongroup_add"), group_data(world))

    assert response.status_code == 302
    group = SupervisionGroup.objects.get(name="县两办第一督查组")
    # group_create makes the leader a member too.
    assert set(group.members.all()) == {world.leader, world.office}
    assert set(group.scope_units.all()) == {world.wanan, world.shanmu}
    assert list(group.scope_special_actions.all()) == [world.safety]


def test_a_scope_outside_the_issuing_unit_shows_the_services_error_and_forms_nothing(client, world):
    client.force_login(world.city_office)

    response = client.post(
        reverse("admin:supervision_supervisiongroup_add"),
        group_data(world, scope_units=[world.wanan.pk, world.other_town.pk], members=[], leader=""),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["scope_units"] == ["屯里镇不在洪洞县的管辖范围内。"]
    assert not SupervisionGroup.objects.filter(name="县两办第一督查组").exists()


def test_changing_members_goes_through_the_service_and_nothing_else_changes(client, world):
    group = group_create(
        name="县两办第一督查组", issuing_unit=world.county, by=world.office, scope_units=[world.wanan]
    )
    deputy = services.person_create(by=None, username="deputy", unit=world.county, role="inspector")
    client.force_login(world.office)

    response = client.post(
        reverse("admin:supervision_supervisiongroup_change", args=[group.pk]),
        {"members": [deputy.pk, world.office.pk], "name": "改名", "scope_units": [world.county.pk]},
    )

    assert response.status_code == 302
    group.refresh_from_db()
    assert set(group.members.all()) == {deputy, world.office}
    assert group.name == "县两办第一督查组"
    assert list(group.scope_units.all()) == [world.wanan]


def test_a_county_office_sees_its_own_groups_and_the_citys_group_sent_to_it(client, world):
    own = group_create(
        name="县两办第一督查组", issuing_unit=world.county, by=world.office, scope_units=[world.wanan]
    )
    client.force_login(world.office)

    response = client.get(reverse("admin:supervision_supervisiongroup_changelist"))

    assert set(response.context["cl"].result_list) == {own, world.group}


def test_another_countys_office_does_not_see_the_countys_groups(client, world):
    group_create(
        name="县两办第一督查组", issuing_unit=world.county, by=world.office, scope_units=[world.wanan]
    )
    client.force_login(world.other_office)

    response = client.get(reverse("admin:supervision_supervisiongroup_changelist"))

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


def test_groups_cannot_be_deleted(client, world):
    client.force_login(world.office)
    url = reverse("admin:supervision_supervisiongroup_delete", args=[world.group.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert SupervisionGroup.objects.filter(pk=world.group.pk).exists()


def test_a_county_office_cannot_restaff_the_citys_group_and_is_told_why(client, world):
    client.force_login(world.office)

    response = client.post(
        reverse("admin:supervision_supervisiongroup_change", args=[world.group.pk]),
        {"members": [world.office.pk]},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "只有本地区的督查室可以组建和调整督导检查组。"
    ]
    assert list(world.group.members.all()) == [world.inspector]
