"""The back office's people pages over HTTP: an office manages the accounts of its county, but never
one with more rights than its own (staff, superusers, a higher role), whose password it could reset."""

import pytest
from django.urls import reverse

from tasks import services
from tasks.models import ApiToken, Person, Role

NEW_PASSWORD = "Winter-Action-2026!"


@pytest.fixture
def office_client(client, world):
    client.force_login(world.office)
    return client


@pytest.fixture
def county_superuser(world):
    """A superuser whose unit lies in the office's county."""
    return services.person_create(
        by=None,
        username="root",
        unit=world.county,
        role=Role.OFFICE,
        is_superuser=True,
        password="Old-Pass-2026!",
    )


@pytest.fixture
def county_staff(world):
    """Another office member of the county: staff, as every office is."""
    return services.person_create(
        by=None, username="office2", unit=world.county, role=Role.OFFICE, password="Old-Pass-2026!"
    )


def password_change(client, person):
    return client.post(
        reverse("admin:auth_user_password_change", args=[person.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )


def test_an_office_cannot_reset_a_superusers_password_in_its_county(office_client, county_superuser):
    response = password_change(office_client, county_superuser)
    assert response.status_code in (403, 404)
    county_superuser.refresh_from_db()
    assert county_superuser.check_password("Old-Pass-2026!")


def test_an_office_cannot_open_a_superusers_password_page(office_client, county_superuser):
    url = reverse("admin:auth_user_password_change", args=[county_superuser.pk])
    assert office_client.get(url).status_code in (403, 404)


def test_an_office_cannot_reset_another_staff_members_password(office_client, county_staff):
    response = password_change(office_client, county_staff)
    assert response.status_code in (403, 404)
    county_staff.refresh_from_db()
    assert county_staff.check_password("Old-Pass-2026!")


def test_an_office_does_not_see_staff_or_superusers_in_the_people_list(
    office_client, world, county_superuser, county_staff
):
    response = office_client.get(reverse("admin:tasks_person_changelist"))
    listed = {person.username for person in response.context["cl"].result_list}
    assert "wanan" in listed
    assert {"root", "office2", "office"}.isdisjoint(listed)


def test_an_office_cannot_change_a_superusers_account(office_client, county_superuser):
    url = reverse("admin:tasks_person_change", args=[county_superuser.pk])
    response = office_client.post(
        url, {"username": "hijacked", "unit": county_superuser.unit_id, "role": "office"}
    )
    county_superuser.refresh_from_db()
    assert county_superuser.username == "root"
    assert response.status_code in (302, 403, 404)
    assert office_client.get(url).status_code in (302, 403, 404)
    if office_client.get(url).status_code == 302:  # the admin sends a missing row to its index
        assert office_client.get(url).url == reverse("admin:index")


def test_an_office_still_resets_a_unit_officials_password(office_client, world):
    response = password_change(office_client, world.wanan_official)
    assert response.status_code == 302
    world.wanan_official.refresh_from_db()
    assert world.wanan_official.check_password(NEW_PASSWORD)


def test_an_office_cannot_make_a_unit_official_staff_or_superuser(office_client, world):
    url = reverse("admin:tasks_person_change", args=[world.wanan_official.pk])
    data = {
        "username": "wanan",
        "unit": world.wanan.pk,
        "role": "unit_official",
        "position": "党政办主任",
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "last_login_0": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "08:00:00",
    }
    office_client.post(url, data)
    world.wanan_official.refresh_from_db()
    assert (world.wanan_official.is_staff, world.wanan_official.is_superuser) == (False, False)


def test_the_office_is_not_offered_staff_status_on_the_new_person_form(office_client):
    response = office_client.get(reverse("admin:tasks_person_add"))
    assert "is_staff" not in response.context["adminform"].form.fields


def test_a_superuser_may_reset_another_superusers_password(client, world, county_superuser):
    other = services.person_create(by=None, username="root2", unit=None, role=Role.OFFICE, is_superuser=True)
    client.force_login(other)
    assert password_change(client, county_superuser).status_code == 302
    county_superuser.refresh_from_db()
    assert county_superuser.check_password(NEW_PASSWORD)


def test_an_office_cannot_create_an_api_token_for_a_superuser(office_client, county_superuser):
    office_client.post(
        reverse("admin:tasks_apitoken_add"), {"user": county_superuser.pk, "name": "后门", "expires_at_0": ""}
    )
    assert not ApiToken.objects.filter(user=county_superuser).exists()


def test_the_service_refuses_an_office_a_token_for_a_staff_member(world, county_staff):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.token_create(user=county_staff, by=world.office, name="后门")


def test_resetting_a_password_in_the_admin_revokes_the_persons_tokens_and_says_so(office_client, world):
    token, _plain = services.token_create(user=world.wanan_official, by=world.wanan_official, name="市大屏")
    response = password_change(office_client, world.wanan_official)
    token.refresh_from_db()
    assert token.revoked_at is not None
    page = office_client.get(response.url)
    assert any("市大屏" in str(message) for message in page.context["messages"])


def test_the_people_list_stays_in_the_office_region(office_client, world):
    response = office_client.get(reverse("admin:tasks_person_changelist"))
    listed = {person.username for person in response.context["cl"].result_list}
    assert "tunli" not in listed
    assert Person.objects.filter(username="tunli").exists()
