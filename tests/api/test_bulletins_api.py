"""Bulletins (情况通报) over HTTP: anonymous (401), out of scope (404), forbidden (403), allowed, impossible
steps (409) in the one error shape, and the documents as downloads."""

from urllib.parse import unquote

import pytest
from django.core.cache import cache

from supervision import services
from supervision.models import Bulletin, BulletinStatus
from tests.factories import days
from tests.factories import draft_bulletin as draft

BULLETINS = "/api/v1/bulletins/"


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()


def issued(world):
    bulletin = services.bulletin_sign(bulletin=draft(world), by=world.leader)
    return services.bulletin_issue(bulletin=bulletin, by=world.office)


def body(world, **kwargs):
    values = {
        "campaign": world.campaign.pk,
        "region": world.county.pk,
        "kind": "weekly",
        "period_start": days(-6).isoformat(),
        "period_end": days(0).isoformat(),
    }
    values.update(kwargs)
    return values


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    payload = response.json()
    assert set(payload) == {"code", "detail", "fields"}
    assert payload["code"] == code
    return payload


# ---- Reading ---------------------------------------------------------------------------------------------


def test_anonymous_callers_are_refused(world, api):
    bulletin = draft(world)
    assert api().get(BULLETINS).status_code == 401
    assert api().get(f"{BULLETINS}{bulletin.pk}/").status_code == 401


def test_the_office_lists_its_drafts(world, api):
    bulletin = draft(world)
    response = api(world.office).get(BULLETINS)
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["id"] == bulletin.pk
    assert row["status"] == "draft"
    assert row["number"] is None


def test_the_detail_carries_sections_and_figures(world, api):
    bulletin = draft(world)
    response = api(world.leader).get(f"{BULLETINS}{bulletin.pk}/")
    assert response.status_code == 200
    data = response.json()
    assert data["sections"][0]["heading"] == "一、总体情况"
    assert data["figures"]["summary"]["tasks"] == 0
    assert [event["kind"] for event in data["events"]] == ["drafted"]


def test_a_unit_reads_only_issued_bulletins_of_its_region(world, api):
    hidden = draft(world)
    shown = issued(world)
    client = api(world.wanan_official)
    ids = [row["id"] for row in client.get(BULLETINS).json()["results"]]
    assert ids == [shown.pk]
    assert_error(client.get(f"{BULLETINS}{hidden.pk}/"), 404, "not_found")


def test_a_group_covering_the_region_reads_drafts(world, api):
    bulletin = draft(world)
    assert api(world.inspector).get(f"{BULLETINS}{bulletin.pk}/").status_code == 200


def test_another_county_does_not_see_the_bulletin(world, api):
    bulletin = issued(world)
    for person in (world.other_office, world.other_official):
        client = api(person)
        assert client.get(BULLETINS).json()["results"] == []
        assert_error(client.get(f"{BULLETINS}{bulletin.pk}/"), 404, "not_found")
        assert_error(client.post(f"{BULLETINS}{bulletin.pk}/discard/", {}, format="json"), 404, "not_found")


# ---- Writing -------------------------------------------------------------------------------------------


def test_the_office_drafts_a_bulletin(world, api):
    response = api(world.office).post(BULLETINS, body(world), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "draft"
    assert data["region"]["id"] == world.county.pk
    assert len(data["sections"]) == 7


def test_a_unit_official_cannot_draft(world, api):
    response = api(world.wanan_official).post(BULLETINS, body(world), format="json")
    assert_error(response, 403, "permission_denied")
    assert not Bulletin.objects.exists()


def test_another_countys_office_cannot_draft_for_this_county(world, api):
    response = api(world.other_office).post(BULLETINS, body(world), format="json")
    assert response.status_code in (400, 403)
    assert not Bulletin.objects.exists()


def test_the_office_edits_a_draft(world, api):
    bulletin = draft(world)
    sections = [{"key": "summary", "heading": "一、总体情况", "text": "本周总体平稳。"}]
    response = api(world.office).patch(
        f"{BULLETINS}{bulletin.pk}/", {"title": "第一周通报", "sections": sections}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "第一周通报"
    assert response.json()["sections"] == sections


def test_a_leader_cannot_edit(world, api):
    bulletin = draft(world)
    response = api(world.leader).patch(f"{BULLETINS}{bulletin.pk}/", {"title": "改"}, format="json")
    assert_error(response, 403, "permission_denied")


def test_a_leader_signs_and_the_office_issues(world, api):
    bulletin = draft(world)
    signed = api(world.leader).post(f"{BULLETINS}{bulletin.pk}/sign/")
    assert signed.status_code == 200, signed.content
    assert signed.json()["status"] == "signed"
    response = api(world.office).post(f"{BULLETINS}{bulletin.pk}/issue/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "issued"
    assert response.json()["number"] == 1


def test_the_office_cannot_sign(world, api):
    bulletin = draft(world)
    assert_error(api(world.office).post(f"{BULLETINS}{bulletin.pk}/sign/"), 403, "permission_denied")


def test_a_leader_cannot_issue(world, api):
    bulletin = services.bulletin_sign(bulletin=draft(world), by=world.leader)
    assert_error(api(world.leader).post(f"{BULLETINS}{bulletin.pk}/issue/"), 403, "permission_denied")


def test_issuing_a_draft_is_a_conflict(world, api):
    bulletin = draft(world)
    payload = assert_error(
        api(world.office).post(f"{BULLETINS}{bulletin.pk}/issue/"), 409, "invalid_transition"
    )
    assert "草稿" in payload["detail"]


def test_editing_an_issued_bulletin_is_a_conflict(world, api):
    bulletin = issued(world)
    response = api(world.office).patch(f"{BULLETINS}{bulletin.pk}/", {"title": "改"}, format="json")
    assert_error(response, 409, "invalid_transition")
    assert_error(
        api(world.office).post(f"{BULLETINS}{bulletin.pk}/refresh/", {}, format="json"),
        409,
        "invalid_transition",
    )
    assert_error(
        api(world.office).post(f"{BULLETINS}{bulletin.pk}/discard/", {}, format="json"),
        409,
        "invalid_transition",
    )


def test_the_office_discards_a_draft(world, api):
    bulletin = draft(world)
    response = api(world.office).post(
        f"{BULLETINS}{bulletin.pk}/discard/", {"reason": "数据有误"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "discarded"
    assert Bulletin.objects.get(pk=bulletin.pk).status == BulletinStatus.DISCARDED


def test_refresh_rebuilds_the_figures(world, api):
    bulletin = draft(world)
    world.task()
    response = api(world.office).post(f"{BULLETINS}{bulletin.pk}/refresh/", {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["figures"]["summary"]["tasks"] == 1


def test_a_stale_if_match_changes_nothing(world, api):
    bulletin = draft(world)
    response = api(world.leader).post(f"{BULLETINS}{bulletin.pk}/sign/", HTTP_IF_MATCH='"stale"')
    assert_error(response, 412, "precondition_failed")
    assert Bulletin.objects.get(pk=bulletin.pk).status == BulletinStatus.DRAFT


# ---- Documents ---------------------------------------------------------------------------------------------


def test_an_issued_bulletins_pdf_is_the_stored_bytes(world, api):
    bulletin = issued(world)
    Bulletin.objects.filter(pk=bulletin.pk).update(pdf=b"%PDF-stored")
    response = api(world.wanan_official).get(f"{BULLETINS}{bulletin.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == b"%PDF-stored"
    disposition = response["Content-Disposition"]
    assert f'filename="bulletin-{bulletin.pk}.pdf"' in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == f"{bulletin.title}第1期.pdf"


def test_an_issued_bulletins_docx_is_the_stored_bytes(world, api):
    bulletin = issued(world)
    Bulletin.objects.filter(pk=bulletin.pk).update(docx=b"PK-stored")
    response = api(world.office).get(f"{BULLETINS}{bulletin.pk}/docx/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument")
    assert response.content == b"PK-stored"


def test_a_documents_download_accepts_its_type(world, api):
    bulletin = issued(world)
    response = api(world.office).get(f"{BULLETINS}{bulletin.pk}/pdf/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200


def test_a_hidden_bulletins_documents_are_not_found(world, api):
    bulletin = draft(world)
    assert api(world.wanan_official).get(f"{BULLETINS}{bulletin.pk}/pdf/").status_code == 404
