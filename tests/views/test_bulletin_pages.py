"""情况通报 pages (supervision/views/bulletins.py): the list, a new draft, one bulletin with its editor and
steps, the print page and the downloads. Who sees a bulletin (404 for anyone else), who may take each
step (403), and an issued bulletin read-only."""

import datetime
import io

import docx
import openpyxl
import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from supervision import services
from supervision.models import Bulletin, BulletinStatus
from tests.factories import days
from tests.factories import draft_bulletin as draft


@pytest.fixture
def as_user(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def signed(world):
    return services.bulletin_sign(bulletin=draft(world), by=world.leader)


def issued(world):
    return services.bulletin_issue(bulletin=signed(world), by=world.office)


def an_hour_ago() -> str:
    return (timezone.localtime() - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")


def url(name, bulletin, *args):
    return reverse(name, args=[bulletin.pk, *args])


def step(bulletin, name):
    return reverse("bulletin-step", args=[bulletin.pk, name])


# ---- The list and the navigation ----------------------------------------------------------------------


def test_the_office_lists_its_drafts_and_is_offered_a_new_one(world, as_user):
    bulletin = draft(world)

    page = as_user(world.office).get(reverse("bulletin-list"))

    assert page.status_code == 200
    assert f'data-bulletin="{bulletin.pk}"' in page.content.decode()
    assert 'data-testid="bulletin-new-link"' in page.content.decode()
    assert 'data-testid="nav-bulletins"' in page.content.decode()


def test_a_unit_lists_only_the_issued_bulletins_of_its_region(world, as_user):
    hidden, shown = draft(world), issued(world)

    html = as_user(world.wanan_official).get(reverse("bulletin-list")).content.decode()

    assert f'data-bulletin="{shown.pk}"' in html and f'data-bulletin="{hidden.pk}"' not in html
    assert 'data-testid="bulletin-new-link"' not in html
    assert 'data-testid="nav-bulletins"' not in html  # the nav entry is for the office, leaders, inspectors


def test_leaders_and_inspectors_have_the_nav_entry(world, as_user):
    for person in (world.leader, world.inspector):
        html = as_user(person).get(reverse("home")).content.decode()
        assert 'data-testid="nav-bulletins"' in html


def test_another_countys_office_does_not_list_this_countys_bulletins(world, as_user):
    bulletin = issued(world)

    html = as_user(world.other_office).get(reverse("bulletin-list")).content.decode()

    assert f'data-bulletin="{bulletin.pk}"' not in html


# ---- A new draft ---------------------------------------------------------------------------------------------


def test_the_office_drafts_a_bulletin_from_the_form(world, as_user):
    client = as_user(world.office)
    assert client.get(reverse("bulletin-new")).status_code == 200

    answer = client.post(
        reverse("bulletin-new"),
        {
            "campaign": world.campaign.pk,
            "kind": "monthly",
            "period_start": days(-29).isoformat(),
            "period_end": days(0).isoformat(),
            "cutoff": an_hour_ago(),
        },
    )

    bulletin = Bulletin.objects.get()
    assert answer.status_code == 302 and answer["Location"] == url("bulletin-detail", bulletin)
    assert (bulletin.kind, bulletin.region, bulletin.status) == (
        "monthly",
        world.county,
        BulletinStatus.DRAFT,
    )
    assert [section["key"] for section in bulletin.sections][:3] == ["summary", "good", "lagging"]


def test_a_period_ending_before_it_starts_is_shown_on_the_form(world, as_user):
    answer = as_user(world.office).post(
        reverse("bulletin-new"),
        {
            "campaign": world.campaign.pk,
            "kind": "weekly",
            "period_start": days(0).isoformat(),
            "period_end": days(-3).isoformat(),
            "cutoff": an_hour_ago(),
        },
    )

    assert answer.status_code == 400
    assert "通报期的开始日期不能晚于结束日期" in answer.content.decode()
    assert not Bulletin.objects.exists()


def test_only_the_office_may_draft(world, as_user):
    for person in (world.leader, world.wanan_official, world.inspector):
        assert as_user(person).get(reverse("bulletin-new")).status_code == 403


def test_an_office_cannot_pick_another_regions_campaign(world, as_user):
    answer = as_user(world.other_office).post(
        reverse("bulletin-new"),
        {
            "campaign": world.campaign.pk,
            "kind": "weekly",
            "period_start": days(-6).isoformat(),
            "period_end": days(0).isoformat(),
            "cutoff": an_hour_ago(),
        },
    )

    assert answer.status_code == 400 and not Bulletin.objects.exists()


# ---- One bulletin: who sees it, which steps are offered -------------------------------------------------------


def test_the_office_sees_the_draft_with_its_editor_and_its_steps(world, as_user):
    bulletin = draft(world)

    html = as_user(world.office).get(url("bulletin-detail", bulletin)).content.decode()

    assert 'data-testid="bulletin-editor"' in html
    assert 'name="text-summary"' in html and 'name="text-requirements"' in html
    for button in ("bulletin-refresh", "bulletin-discard"):
        assert f'data-testid="{button}"' in html
    assert 'data-testid="bulletin-sign"' not in html and 'data-testid="bulletin-issue"' not in html
    assert "洪洞县冬季行动督查通报" in html and "一、总体情况" in html


def test_a_leader_is_offered_to_sign_a_draft_and_not_to_edit_it(world, as_user):
    html = as_user(world.leader).get(url("bulletin-detail", draft(world))).content.decode()

    assert 'data-testid="bulletin-sign"' in html
    assert 'data-testid="bulletin-editor"' not in html and 'data-testid="bulletin-refresh"' not in html


def test_the_office_is_offered_to_issue_a_signed_bulletin(world, as_user):
    html = as_user(world.office).get(url("bulletin-detail", signed(world))).content.decode()

    assert 'data-testid="bulletin-issue"' in html
    assert 'data-testid="bulletin-sign"' not in html


def test_an_inspector_covering_the_county_reads_the_draft_without_steps(world, as_user):
    html = as_user(world.inspector).get(url("bulletin-detail", draft(world))).content.decode()

    assert "当前无需你办理" in html and 'data-testid="bulletin-editor"' not in html


@pytest.mark.parametrize(
    "name", ["bulletin-detail", "bulletin-print", "bulletin-pdf", "bulletin-docx", "bulletin-xlsx"]
)
def test_a_draft_is_not_found_for_a_unit_or_another_county(world, as_user, name):
    bulletin = draft(world)

    for person in (world.wanan_official, world.other_office, world.other_official):
        assert as_user(person).get(url(name, bulletin)).status_code == 404


def test_a_unit_reads_an_issued_bulletin_of_its_region_and_may_take_no_step(world, as_user):
    bulletin = issued(world)
    client = as_user(world.wanan_official)

    html = client.get(url("bulletin-detail", bulletin)).content.decode()

    assert "第1期" in html and "当前无需你办理" in html
    assert client.post(step(bulletin, "discard")).status_code == 403


# ---- Editing ----------------------------------------------------------------------------------------------------


def test_the_office_saves_the_edited_text_of_a_section_and_the_title(world, as_user):
    bulletin = draft(world)

    answer = as_user(world.office).post(
        step(bulletin, "edit"),
        {"title": "关于第一周推进情况的通报", "text-requirements": "各单位于12月10日前报送整改情况。"},
    )

    bulletin.refresh_from_db()
    assert answer.status_code == 302
    assert bulletin.title == "关于第一周推进情况的通报"
    assert {s["key"]: s["text"] for s in bulletin.sections}[
        "requirements"
    ] == "各单位于12月10日前报送整改情况。"
    assert {s["key"]: s["text"] for s in bulletin.sections}[
        "summary"
    ]  # the sections not posted keep their text


def test_an_empty_title_keeps_the_text_as_written_beside_the_error(world, as_user):
    bulletin = draft(world)

    answer = as_user(world.office).post(
        step(bulletin, "edit"), {"title": " ", "text-requirements": "改过的要求"}
    )

    assert answer.status_code == 400
    assert "请填写标题" in answer.content.decode() and "改过的要求" in answer.content.decode()


def test_editing_a_signed_bulletin_asks_the_leader_to_sign_again(world, as_user):
    bulletin = signed(world)

    answer = as_user(world.office).post(step(bulletin, "edit"), {"title": bulletin.title}, follow=True)

    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.DRAFT and bulletin.signed_by is None
    assert "需领导重新签发" in answer.content.decode()


def test_a_leader_may_not_edit(world, as_user):
    bulletin = draft(world)

    answer = as_user(world.leader).post(step(bulletin, "edit"), {"title": "领导改的标题"})

    assert answer.status_code == 403
    bulletin.refresh_from_db()
    assert bulletin.title != "领导改的标题"


def test_an_issued_bulletin_is_read_only(world, as_user):
    bulletin = issued(world)
    client = as_user(world.office)

    html = client.get(url("bulletin-detail", bulletin)).content.decode()
    answer = client.post(step(bulletin, "edit"), {"title": "印发后改的标题"}, follow=True)

    assert 'data-testid="bulletin-editor"' not in html and 'data-testid="bulletin-discard"' not in html
    assert "已印发,数据和正文不再变化" in html
    assert answer.status_code == 200 and "不能修改" in answer.content.decode()
    bulletin.refresh_from_db()
    assert bulletin.title != "印发后改的标题"


# ---- Steps ---------------------------------------------------------------------------------------------------


def test_a_leader_signs_and_the_office_issues(world, as_user):
    bulletin = draft(world)

    as_user(world.leader).post(step(bulletin, "sign"))
    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.SIGNED and bulletin.signed_by == world.leader

    answer = as_user(world.office).post(step(bulletin, "issue"), follow=True)
    bulletin.refresh_from_db()
    assert (bulletin.status, bulletin.number) == (BulletinStatus.ISSUED, 1)
    assert "已印发" in answer.content.decode()


def test_the_office_may_not_sign_and_a_leader_may_not_issue(world, as_user):
    bulletin = draft(world)
    assert as_user(world.office).post(step(bulletin, "sign")).status_code == 403

    services.bulletin_sign(bulletin=bulletin, by=world.leader)
    assert as_user(world.leader).post(step(bulletin, "issue")).status_code == 403
    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.SIGNED


def test_issuing_an_unsigned_draft_is_a_message_not_an_error_page(world, as_user):
    bulletin = draft(world)

    answer = as_user(world.office).post(step(bulletin, "issue"), follow=True)

    assert answer.status_code == 200
    assert "不能印发" in answer.content.decode()
    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.DRAFT


def test_the_office_refreshes_and_discards_a_draft(world, as_user):
    bulletin = draft(world)
    client = as_user(world.office)

    assert client.post(step(bulletin, "refresh")).status_code == 302
    client.post(step(bulletin, "discard"), {"reason": "重复起草"})

    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.DISCARDED and bulletin.number is None


def test_an_unknown_step_is_refused(world, as_user):
    assert as_user(world.office).post(step(draft(world), "publish")).status_code == 403


# ---- Print page and downloads ---------------------------------------------------------------------------------


def test_the_print_page_is_the_a4_bulletin_with_its_number(world, as_user):
    bulletin = issued(world)

    html = as_user(world.leader).get(url("bulletin-print", bulletin)).content.decode()

    # The A4 rules are a static stylesheet (no <style> under the Content-Security-Policy).
    assert "css/bulletin_print.css" in html
    with open(finders.find("css/bulletin_print.css"), encoding="utf-8") as stylesheet:
        assert "@page { size: A4; margin: 37mm 26mm 35mm 28mm; }" in stylesheet.read()
    assert "洪洞县冬季行动督查通报" in html and "第1期" in html and "一、总体情况" in html
    assert "googleapis" not in html and "cdn" not in html.lower()


def test_a_draft_downloads_rendered_now_and_marked_draft(world, as_user):
    bulletin = draft(world)
    client = as_user(world.office)

    pdf = client.get(url("bulletin-pdf", bulletin))
    word = client.get(url("bulletin-docx", bulletin))

    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert "%E8%8D%89%E7%A8%BF" in pdf["Content-Disposition"]  # 草稿 in the file name
    assert docx.Document(io.BytesIO(word.content)).paragraphs[1].text == "草稿"


def test_an_issued_bulletin_downloads_the_documents_stored_at_its_issue(world, as_user):
    bulletin = issued(world)
    client = as_user(world.wanan_official)

    assert client.get(url("bulletin-pdf", bulletin)).content == bytes(bulletin.pdf)
    assert client.get(url("bulletin-docx", bulletin)).content == bytes(bulletin.docx)


def test_the_attachments_download_as_a_workbook(world, as_user):
    answer = as_user(world.office).get(url("bulletin-xlsx", issued(world)))

    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["排名", "滞后事项", "主要指标"]


def test_the_list_costs_the_same_queries_however_many_bulletins(world, as_user, django_assert_num_queries):
    client = as_user(world.office)
    draft(world)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("bulletin-list"))
    draft(world), issued(world), issued(world)
    with django_assert_num_queries(len(one)):
        client.get(reverse("bulletin-list"))
