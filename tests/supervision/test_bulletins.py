"""Bulletins (情况通报) at the service level: the draft's figures are the dashboard's at the cutoff, issue
freezes figures, text and documents, numbering per region, kind and year is gapless (discards take no
number, concurrent issues on PostgreSQL get N and N+1), who may take each step, and who is told."""

import datetime
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections
from django.utils import timezone

from supervision import dashboard, services
from supervision.bulletins import build_figures
from supervision.models import (
    Bulletin,
    BulletinEvent,
    BulletinEventKind,
    BulletinStatus,
    InboxItem,
    Notification,
    ReminderRule,
)
from tasks import services as task_services
from tasks.services import InvalidTransition
from tests.factories import days
from tests.factories import draft_bulletin as draft


def lagging_world(world, time_machine):
    """Three tasks at 万安镇 and 山目乡: one to be overdue, one behind, one closed on time; then a week on."""
    # 10:00 in Shanghai, whatever the hour the suite runs at: a test may cut off at 09:00 "today".
    start = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    time_machine.move_to(start, tick=False)
    world.late = world.task(title="万安镇煤矿隐患排查", deadline=days(3), start_date=days(-5))
    world.slow = world.task(
        title="山目乡燃气管道检查", lead_unit=world.shanmu, deadline=days(20), start_date=days(-5)
    )
    world.done = world.task(title="县应急局值班制度", lead_unit=world.yingji, deadline=days(30))
    task_services.progress_report(
        task=world.late, by=world.wanan_official, percent=20, done="已排查两处", problems="井下通风设备老化"
    )
    task_services.progress_report(task=world.done, by=world.yingji_official, percent=50, done="制度起草")
    task_services.task_request_close(task=world.done, by=world.yingji_official)
    task_services.task_close(task=world.done, by=world.office)
    time_machine.move_to(start + datetime.timedelta(days=7), tick=False)
    return world


def signed(world, **kwargs):
    return services.bulletin_sign(bulletin=draft(world, **kwargs), by=world.leader)


def issued(world, **kwargs):
    return services.bulletin_issue(bulletin=signed(world, **kwargs), by=world.office)


# ---- The draft's figures ----------------------------------------------------------------------------


def test_a_drafts_counts_equal_the_dashboard_at_the_cutoff(world, time_machine):
    lagging_world(world, time_machine)
    bulletin = draft(world)
    expected = dashboard.summary(world.office, campaign=world.campaign, county=world.county)
    for name in (
        "tasks",
        "closed",
        "overdue",
        "behind",
        "due_soon",
        "on_time",
        "open_orders",
        "overdue_orders",
    ):
        assert bulletin.figures["summary"][name] == expected[name], name
    assert bulletin.figures["summary"]["completion_rate"] == expected["completion_rate"]
    assert bulletin.figures["summary"]["on_time_rate"] == expected["on_time_rate"]
    assert bulletin.figures["summary"]["tasks"] == 3
    assert bulletin.figures["summary"]["overdue"] == 1


def test_a_draft_names_the_lagging_units_with_their_last_problems(world, time_machine):
    lagging_world(world, time_machine)
    figures = draft(world).figures
    units = {unit["unit"]: unit for unit in figures["lagging"]["units"]}
    assert units["万安镇"]["overdue"] == 1
    assert units["万安镇"]["last_problems"] == ["井下通风设备老化"]
    assert units["山目乡"]["behind"] == 1
    late = next(task for task in figures["lagging"]["tasks"] if task["unit"] == "万安镇")
    assert late["days_overdue"] == 4
    assert late["last_problems"] == "井下通风设备老化"


def test_a_draft_lists_tasks_closed_on_time_in_the_period(world, time_machine):
    lagging_world(world, time_machine)
    figures = draft(world, period_start=days(-7)).figures
    assert [task["title"] for task in figures["good"]["tasks"]] == ["县应急局值班制度"]


def test_the_default_text_says_where_the_campaign_stands(world, time_machine):
    lagging_world(world, time_machine)
    bulletin = draft(world, cutoff=timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0))
    headings = [section["heading"] for section in bulletin.sections]
    assert headings == [
        "一、总体情况",
        "二、进展较好",
        "三、滞后单位和事项",
        "四、督办和亮牌",
        "五、争先进位排名",
        "六、主要指标",
        "七、下步要求",
    ]
    summary = bulletin.sections[0]["text"]
    assert "洪洞县冬季行动共有任务3项,已销号1项" in summary
    assert "逾期1项" in summary
    assert "井下通风设备老化" in bulletin.sections[2]["text"]


def test_a_draft_cannot_be_cut_off_in_the_future(world):
    with pytest.raises(ValidationError):
        draft(world, cutoff=timezone.now() + datetime.timedelta(hours=1))


def test_build_figures_reads_no_viewer_so_the_drafter_changes_nothing(world, time_machine):
    lagging_world(world, time_machine)
    now = timezone.now()
    by_office = build_figures(campaign=world.campaign, region=world.county, cutoff=now, viewer=world.office)
    by_city = build_figures(
        campaign=world.campaign, region=world.county, cutoff=now, viewer=world.city_office
    )
    assert by_office["summary"] == by_city["summary"]


# ---- Issue freezes ------------------------------------------------------------------------------------


def test_after_issue_a_new_report_leaves_the_bulletin_unchanged(world, time_machine):
    lagging_world(world, time_machine)
    bulletin = issued(world)
    before = Bulletin.objects.get(pk=bulletin.pk)
    task_services.progress_report(
        task=world.late, by=world.wanan_official, percent=90, done="基本完成", problems="新的问题"
    )
    task_services.task_request_close(task=world.late, by=world.wanan_official)
    after = Bulletin.objects.get(pk=bulletin.pk)
    assert after.figures == before.figures
    assert after.sections == before.sections
    assert bytes(after.pdf) == bytes(before.pdf)
    assert bytes(after.docx) == bytes(before.docx)
    assert after.figures["summary"]["overdue"] == 1


def test_issue_stores_the_documents_and_numbers_the_bulletin(world):
    bulletin = issued(world)
    assert bulletin.status == BulletinStatus.ISSUED
    assert bulletin.number == 1
    assert bulletin.issued_by == world.office
    assert bulletin.pdf is not None
    assert bulletin.docx is not None
    kinds = list(BulletinEvent.objects.filter(bulletin=bulletin).values_list("kind", flat=True))
    assert kinds == [BulletinEventKind.DRAFTED, BulletinEventKind.SIGNED, BulletinEventKind.ISSUED]


# ---- Numbering ------------------------------------------------------------------------------------------


def test_numbering_is_gapless_with_discarded_drafts_in_between(world):
    first = issued(world)
    services.bulletin_discard(bulletin=draft(world), by=world.office)
    services.bulletin_discard(bulletin=signed(world), by=world.office)
    second = issued(world)
    assert (first.number, second.number) == (1, 2)
    assert Bulletin.objects.filter(status=BulletinStatus.DISCARDED, number__isnull=True).count() == 2


def test_each_kind_has_its_own_numbers(world):
    assert issued(world, kind="weekly").number == 1
    assert issued(world, kind="monthly").number == 1
    assert issued(world, kind="weekly").number == 2


def test_each_region_has_its_own_numbers(world):
    assert issued(world).number == 1
    city = services.bulletin_draft(
        campaign=world.campaign,
        region=world.city,
        kind="weekly",
        period_start=days(-6),
        period_end=days(0),
        by=world.city_office,
    )
    city = services.bulletin_sign(bulletin=city, by=_city_leader(world))
    city = services.bulletin_issue(bulletin=city, by=world.city_office)
    assert city.number == 1


def _city_leader(world):
    return task_services.person_create(
        by=None, username="city_leader", unit=world.city, role="leader", password="winteraction"
    )


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_issues_get_consecutive_numbers(world, postgres):
    first, second = signed(world), signed(world)
    office_id = world.office.pk
    start = threading.Barrier(2)

    def issue(bulletin_id):
        from tasks.models import Person

        try:
            bulletin, by = Bulletin.objects.get(pk=bulletin_id), Person.objects.get(pk=office_id)
            start.wait(timeout=60)
            return services.bulletin_issue(bulletin=bulletin, by=by).number
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        numbers = sorted(pool.map(issue, [first.pk, second.pk]))
    assert numbers == [1, 2]
    stored = sorted(Bulletin.objects.filter(status=BulletinStatus.ISSUED).values_list("number", flat=True))
    assert stored == [1, 2]


# ---- Steps and who may take them -----------------------------------------------------------------------


def test_editing_a_signed_bulletin_returns_it_to_draft(world):
    bulletin = signed(world)
    sections = [{"key": "summary", "heading": "一、总体情况", "text": "改写后的总体情况"}]
    bulletin = services.bulletin_edit(
        bulletin=bulletin, by=world.office, title="第一周通报", sections=sections
    )
    assert bulletin.status == BulletinStatus.DRAFT
    assert bulletin.signed_by is None
    assert bulletin.title == "第一周通报"
    assert bulletin.sections == sections


def test_an_issued_bulletin_cannot_be_edited_signed_or_discarded(world):
    bulletin = issued(world)
    with pytest.raises(InvalidTransition, match="已印发"):
        services.bulletin_edit(bulletin=bulletin, by=world.office, title="改")
    with pytest.raises(InvalidTransition):
        services.bulletin_sign(bulletin=bulletin, by=world.leader)
    with pytest.raises(InvalidTransition):
        services.bulletin_discard(bulletin=bulletin, by=world.office)
    with pytest.raises(InvalidTransition):
        services.bulletin_refresh(bulletin=bulletin, by=world.office)


def test_a_draft_cannot_be_issued_before_a_leader_signs(world):
    with pytest.raises(InvalidTransition, match="草稿"):
        services.bulletin_issue(bulletin=draft(world), by=world.office)


def test_sections_must_be_headed_texts(world):
    with pytest.raises(ValidationError):
        services.bulletin_edit(bulletin=draft(world), by=world.office, sections=[{"key": "x"}])


def test_a_unit_official_cannot_draft_a_bulletin(world):
    with pytest.raises(PermissionDenied):
        draft(world, by=world.wanan_official)


def test_another_countys_office_cannot_draft_for_this_county(world):
    with pytest.raises(PermissionDenied):
        draft(world, by=world.other_office)


def test_only_a_leader_of_the_region_signs(world):
    bulletin = draft(world)
    for person in (world.office, world.wanan_official):
        with pytest.raises(PermissionDenied, match="领导"):
            services.bulletin_sign(bulletin=bulletin, by=person)


def test_a_leader_cannot_issue(world):
    with pytest.raises(PermissionDenied):
        services.bulletin_issue(bulletin=signed(world), by=world.leader)


def test_refresh_rebuilds_a_drafts_figures(world):
    bulletin = draft(world)
    assert bulletin.figures["summary"]["tasks"] == 0
    world.task()
    bulletin = services.bulletin_refresh(bulletin=bulletin, by=world.office)
    assert bulletin.figures["summary"]["tasks"] == 1
    assert "共有任务1项" in bulletin.sections[0]["text"]


# ---- Who is told ------------------------------------------------------------------------------------------


def test_issue_notifies_each_lagging_unit_and_the_groups(world, time_machine):
    lagging_world(world, time_machine)
    bulletin = issued(world)
    notifications = Notification.objects.filter(rule=ReminderRule.BULLETIN_ISSUED, bulletin=bulletin)
    assert {n.unit_id for n in notifications if n.unit_id} == {world.wanan.pk, world.shanmu.pk}
    assert {n.group_id for n in notifications if n.group_id} == {world.group.pk}
    assert not notifications.filter(unit=world.yingji).exists()
    inbox = InboxItem.objects.filter(person=world.wanan_official, notification__bulletin=bulletin)
    assert inbox.count() == 1


def test_a_lagging_units_inbox_says_the_bulletin_is_issued(world, time_machine):
    from supervision import messages, selectors

    lagging_world(world, time_machine)
    bulletin = issued(world)
    [item] = selectors.inbox_for(world.wanan_official).filter(notification__rule="bulletin_issued")
    assert messages.title(item.notification) == f"【情况通报】第1期 通报已印发:{bulletin.title}"
    assert messages.path_of(item.notification) == f"/supervision/bulletins/{bulletin.pk}/"
    message = messages.render(item.notification)
    assert "滞后" in message.text


def test_a_draft_carries_the_indicators_of_its_month(world):
    from tasks import indicators

    tongji = task_services.unit_create(by=None, name="县统计局", kind="department", parent=world.county)
    indicator = indicators.indicator_create(
        campaign=world.campaign,
        name="固定资产投资",
        measure="亿元",
        kind="cumulative",
        responsible_unit=world.wanan,
        source_unit=tongji,
        by=world.office,
    )
    indicators.indicator_target_set(indicator=indicator, month=days(0), target=10, by=world.office)
    indicators.indicator_figure_report(
        indicator=indicator, month=days(0), kind="expected", value="8", by=world.wanan_official
    )
    bulletin = draft(world)
    [row] = bulletin.figures["indicators"]
    assert row["name"] == "固定资产投资"
    assert "固定资产投资" in bulletin.sections[5]["text"]
    assert "未达目标" in bulletin.sections[5]["text"]
