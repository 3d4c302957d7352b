"""Monthly indicators: who may report, confirm and correct, the history of a figure, and the one table
(completion %, gap, behind) everyone shows."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from tasks import indicators
from tasks.indicators import completion_rate, indicator_table
from tasks.models import FigureKind, IndicatorFigure, IndicatorFigureRevision, IndicatorTarget
from tasks.services import InvalidTransition
from tests.factories import statistics_bureau

NOV = datetime.date(2026, 11, 1)
DEC = datetime.date(2026, 12, 1)


@pytest.fixture
def stats(world):
    """县统计局 and its official: the data-source unit of the indicators."""
    world.tongji, world.tongji_official = statistics_bureau(world)
    return world


@pytest.fixture
def investment(stats):
    """固定资产投资 (累计值, 亿元): 县应急管理局 answers for it (a stand-in), 县统计局 gives the actual figure."""
    indicator = indicators.indicator_create(
        campaign=stats.campaign,
        name="固定资产投资",
        measure="亿元",
        kind="cumulative",
        responsible_unit=stats.yingji,
        source_unit=stats.tongji,
        annual_target="120",
        by=stats.office,
    )
    indicators.indicator_target_set(indicator=indicator, month=NOV, target="100", by=stats.office)
    return indicator


@pytest.fixture
def growth(stats):
    indicator = indicators.indicator_create(
        campaign=stats.campaign,
        name="规上工业增加值增速",
        measure="%",
        kind="growth",
        responsible_unit=stats.wanan,
        source_unit=stats.tongji,
        by=stats.office,
        sort_order=2,
    )
    indicators.indicator_target_set(indicator=indicator, month=NOV, target="5", by=stats.office)
    return indicator


def report(indicator, by, value, *, kind="expected", month=NOV, **texts):
    return indicators.indicator_figure_report(
        indicator=indicator, month=month, kind=kind, value=value, by=by, **texts
    )


def cell(world, indicator, month=NOV):
    (row,) = [
        r
        for r in indicator_table(world.office, campaign=world.campaign, months=[month])
        if r["id"] == indicator.pk
    ]
    return row["months"][0]


# ---- Who may report -------------------------------------------------------------------------------


def test_responsible_unit_reports_the_expected_figure(stats, investment):
    figure = report(investment, stats.yingji_official, "95.5", gap_reason="项目开工推迟", measures="加快审批")

    assert (figure.kind, figure.value, figure.reported_by) == (
        "expected",
        Decimal("95.5"),
        stats.yingji_official,
    )
    assert figure.confirmed_at is None


def test_another_units_official_cannot_report_the_expected_figure(stats, investment):
    with pytest.raises(PermissionDenied, match="只有责任单位"):
        report(investment, stats.wanan_official, "95")
    assert not IndicatorFigure.objects.exists()


def test_responsible_unit_cannot_report_the_actual_figure(stats, investment):
    with pytest.raises(PermissionDenied, match="只有数据来源单位"):
        report(investment, stats.yingji_official, "95", kind="actual")


def test_source_unit_reports_the_actual_figure(stats, investment):
    figure = report(investment, stats.tongji_official, "98", kind="actual")

    assert figure.kind == FigureKind.ACTUAL


def test_office_may_report_either_figure(stats, investment):
    report(investment, stats.office, "95")
    report(investment, stats.office, "98", kind="actual")

    assert IndicatorFigure.objects.count() == 2


def test_another_countys_office_cannot_report(stats, investment):
    with pytest.raises(PermissionDenied):
        report(investment, stats.other_office, "95")


def test_a_leader_cannot_report_even_for_his_county(stats, investment):
    with pytest.raises(PermissionDenied):
        report(investment, stats.leader, "95")


# ---- What may be reported ---------------------------------------------------------------------------


def test_a_day_inside_the_month_counts_as_the_month(stats, investment):
    figure = report(investment, stats.yingji_official, "95", month=datetime.date(2026, 11, 17))

    assert figure.month == NOV


def test_negative_cumulative_value_is_refused(stats, investment):
    with pytest.raises(ValidationError, match="累计值不能为负数"):
        report(investment, stats.yingji_official, "-1")


def test_negative_growth_rate_is_accepted(stats, growth):
    figure = report(growth, stats.wanan_official, "-2.5")

    assert figure.value == Decimal("-2.5")


def test_a_value_that_is_not_a_number_is_refused(stats, investment):
    with pytest.raises(ValidationError, match="数值必须是数字"):
        report(investment, stats.yingji_official, "九十五")


def test_an_empty_value_is_refused(stats, investment):
    with pytest.raises(ValidationError, match="请填写数值"):
        report(investment, stats.yingji_official, "  ")


def test_actual_figure_of_a_month_not_yet_begun_is_refused(stats, investment, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 20, 10, tzinfo=datetime.UTC))
    with pytest.raises(ValidationError, match="尚未到来"):
        report(investment, stats.tongji_official, "10", kind="actual", month=DEC)


def test_unknown_kind_is_refused(stats, investment):
    with pytest.raises(ValidationError, match="未知的数据类型"):
        report(investment, stats.office, "10", kind="guess")


def test_month_must_be_the_first_in_the_database(stats, investment):
    with pytest.raises(IntegrityError), transaction.atomic():
        IndicatorTarget.objects.create(indicator=investment, month=datetime.date(2026, 11, 2), target=1)


def test_confirmation_needs_both_who_and_when_in_the_database(stats, investment):
    figure = report(investment, stats.tongji_official, "98", kind="actual")
    with pytest.raises(IntegrityError), transaction.atomic():
        IndicatorFigure.objects.filter(pk=figure.pk).update(confirmed_by=stats.tongji_official)


# ---- Reporting again, confirming, correcting ---------------------------------------------------------


def test_reporting_again_before_confirmation_updates_the_figure_and_keeps_the_change(stats, investment):
    report(investment, stats.yingji_official, "90")
    figure = report(investment, stats.yingji_official, "93", gap_reason="资金未到位")

    assert IndicatorFigure.objects.count() == 1
    assert figure.value == Decimal("93")
    (revision,) = figure.revisions.all()
    assert (revision.value_before, revision.value_after, revision.correction) == (
        Decimal(90),
        Decimal(93),
        False,
    )
    assert revision.gap_reason_after == "资金未到位"


def test_the_source_unit_confirms_the_actual_figure(stats, investment):
    figure = report(investment, stats.tongji_official, "98", kind="actual")

    figure = indicators.indicator_figure_confirm(figure=figure, by=stats.tongji_official)

    assert figure.confirmed_by == stats.tongji_official and figure.confirmed_at is not None


def test_the_responsible_unit_cannot_confirm(stats, investment):
    figure = report(investment, stats.yingji_official, "95")

    with pytest.raises(PermissionDenied, match="只有数据来源单位"):
        indicators.indicator_figure_confirm(figure=figure, by=stats.yingji_official)


def test_a_figure_is_confirmed_once(stats, investment):
    figure = report(investment, stats.tongji_official, "98", kind="actual")
    indicators.indicator_figure_confirm(figure=figure, by=stats.tongji_official)

    with pytest.raises(InvalidTransition, match="已于"):
        indicators.indicator_figure_confirm(figure=figure, by=stats.office)


def test_a_confirmed_figure_cannot_be_reported_again(stats, investment):
    figure = report(investment, stats.tongji_official, "98", kind="actual")
    indicators.indicator_figure_confirm(figure=figure, by=stats.tongji_official)

    with pytest.raises(InvalidTransition, match="已确认"):
        report(investment, stats.tongji_official, "99", kind="actual")
    figure.refresh_from_db()
    assert figure.value == Decimal(98)


def test_a_correction_is_kept_in_the_history_with_its_reason(stats, investment):
    figure = report(investment, stats.tongji_official, "98", kind="actual")
    indicators.indicator_figure_confirm(figure=figure, by=stats.tongji_official)

    figure = indicators.indicator_figure_correct(
        figure=figure, value="97.2", reason="统计口径调整", by=stats.tongji_official
    )

    assert figure.value == Decimal("97.2")
    (revision,) = IndicatorFigureRevision.objects.filter(figure=figure)
    assert (revision.value_before, revision.value_after) == (Decimal(98), Decimal("97.2"))
    assert (revision.correction, revision.reason, revision.by) == (
        True,
        "统计口径调整",
        stats.tongji_official,
    )
    assert figure.confirmed_at is not None


def test_a_correction_needs_a_reason(stats, investment):
    figure = report(investment, stats.tongji_official, "98", kind="actual")
    indicators.indicator_figure_confirm(figure=figure, by=stats.tongji_official)

    with pytest.raises(ValidationError, match="请填写更正理由"):
        indicators.indicator_figure_correct(figure=figure, value="97", reason=" ", by=stats.tongji_official)


def test_an_unconfirmed_figure_is_not_corrected_but_reported_again(stats, investment):
    figure = report(investment, stats.tongji_official, "98", kind="actual")

    with pytest.raises(InvalidTransition, match="尚未确认"):
        indicators.indicator_figure_correct(
            figure=figure, value="97", reason="口径", by=stats.tongji_official
        )


def test_a_non_owner_cannot_correct_a_confirmed_figure(stats, investment):
    figure = report(investment, stats.tongji_official, "98", kind="actual")
    indicators.indicator_figure_confirm(figure=figure, by=stats.tongji_official)

    with pytest.raises(PermissionDenied):
        indicators.indicator_figure_correct(
            figure=figure, value="120", reason="想改", by=stats.yingji_official
        )
    assert not IndicatorFigureRevision.objects.exists()


# ---- Indicators and targets ---------------------------------------------------------------------------


def test_only_the_office_sets_indicators(stats):
    with pytest.raises(PermissionDenied, match="督查室"):
        indicators.indicator_create(
            campaign=stats.campaign,
            name="建筑业产值",
            measure="亿元",
            kind="cumulative",
            responsible_unit=stats.yingji,
            source_unit=stats.tongji,
            by=stats.yingji_official,
        )


def test_a_unit_outside_the_campaign_cannot_answer_for_an_indicator(stats):
    with pytest.raises(ValidationError, match="不在洪洞县范围内"):
        indicators.indicator_create(
            campaign=stats.campaign,
            name="建筑业产值",
            measure="亿元",
            kind="cumulative",
            responsible_unit=stats.other_town,
            source_unit=stats.tongji,
            by=stats.office,
        )


def test_setting_a_target_again_replaces_it(stats, investment):
    indicators.indicator_target_set(
        indicator=investment, month=datetime.date(2026, 11, 30), target="110", by=stats.office
    )

    assert list(investment.targets.values_list("month", "target")) == [(NOV, Decimal(110))]


def test_a_unit_cannot_set_targets(stats, investment):
    with pytest.raises(PermissionDenied):
        indicators.indicator_target_set(indicator=investment, month=NOV, target="1", by=stats.yingji_official)


# ---- Completion, gap, behind -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "target", "expected"),
    [
        ("100", "100", Decimal("100.0")),
        ("99.95", "100", Decimal("100.0")),  # half up
        ("99.94", "100", Decimal("99.9")),
        ("1", "3", Decimal("33.3")),
        ("2", "3", Decimal("66.7")),
        ("0", "100", Decimal("0.0")),
        ("5", "0", None),
        ("5", None, None),
        (None, "5", None),
        ("-2", "5", Decimal("-40.0")),
        ("0.05", "0.1", Decimal("50.0")),
    ],
)
def test_completion_rate_on_boundary_values(value, target, expected):
    as_decimal = lambda text: None if text is None else Decimal(text)  # noqa: E731
    assert completion_rate(as_decimal(value), as_decimal(target)) == expected


def test_value_equal_to_target_is_complete_and_not_behind(stats, investment):
    report(investment, stats.yingji_official, "100")

    month = cell(stats, investment)
    assert (month["completion"], month["gap"], month["behind"]) == (Decimal("100.0"), Decimal(0), False)


def test_value_just_below_target_is_behind(stats, investment):
    report(investment, stats.yingji_official, "99.9999")

    month = cell(stats, investment)
    assert month["behind"] is True
    assert month["completion"] == Decimal("100.0")
    assert month["gap"] == Decimal("-0.0001")


def test_target_zero_has_no_completion(stats, investment):
    indicators.indicator_target_set(indicator=investment, month=NOV, target="0", by=stats.office)
    report(investment, stats.yingji_official, "3")

    month = cell(stats, investment)
    assert (month["completion"], month["gap"], month["behind"]) == (None, Decimal(3), False)


def test_month_without_a_target_has_no_completion_and_is_not_behind(stats, investment):
    report(investment, stats.yingji_official, "3", month=DEC)

    month = cell(stats, investment, DEC)
    assert (month["target"], month["completion"], month["gap"], month["behind"]) == (None, None, None, False)


def test_negative_growth_rate_is_behind_in_percentage_points(stats, growth):
    report(growth, stats.wanan_official, "-2.5")

    month = cell(stats, growth)
    assert (month["completion"], month["gap"], month["behind"]) == (Decimal("-50.0"), Decimal("-7.5"), True)


def test_the_actual_figure_replaces_the_expected_one_in_the_comparison(stats, investment):
    report(investment, stats.yingji_official, "95")
    report(investment, stats.tongji_official, "101.5", kind="actual")

    month = cell(stats, investment)
    assert (month["expected"], month["actual"], month["value"], month["basis"]) == (
        Decimal(95),
        Decimal("101.5"),
        Decimal("101.5"),
        "actual",
    )
    assert (month["completion"], month["behind"]) == (Decimal("101.5"), False)


def test_the_table_shows_every_month_with_a_target_or_figure_in_order(stats, investment, growth):
    report(investment, stats.yingji_official, "130", month=DEC)

    table = indicator_table(stats.office, campaign=stats.campaign)

    assert [row["name"] for row in table] == ["固定资产投资", "规上工业增加值增速"]
    assert [cell["month"] for cell in table[0]["months"]] == [NOV, DEC]
    assert [cell["month"] for cell in table[1]["months"]] == [NOV, DEC]


def test_a_unit_reads_every_indicator_of_its_campaign(stats, investment, growth):
    table = indicator_table(stats.shanmu_official, campaign=stats.campaign)

    assert len(table) == 2


def test_another_county_reads_no_indicator(stats, investment):
    assert indicator_table(stats.other_official, campaign=stats.campaign) == []


def test_the_table_stores_as_json(stats, investment):
    report(investment, stats.yingji_official, "95.50")

    (row,) = indicators.table_jsonable(indicator_table(stats.office, campaign=stats.campaign))

    assert row["months"][0]["expected"] == "95.5"
    assert row["months"][0]["month"] == "2026-11-01"
    assert row["months"][0]["completion"] == "95.5"


def _indicators(world, names):
    for n, name in enumerate(names):
        indicator = indicators.indicator_create(
            campaign=world.campaign,
            name=name,
            measure="亿元",
            kind="cumulative",
            responsible_unit=world.yingji,
            source_unit=world.tongji,
            by=world.office,
        )
        for month in (NOV, DEC):
            indicators.indicator_target_set(indicator=indicator, month=month, target=n + 1, by=world.office)
            report(indicator, world.yingji_official, n, month=month)
        report(indicator, world.tongji_official, n, kind="actual")


def _queries(world) -> int:
    user = type(world.office).objects.get(pk=world.office.pk)
    with CaptureQueriesContext(connection) as queries:
        table = indicator_table(user, campaign=world.campaign)
    assert all(len(row["months"]) == 2 for row in table)
    return len(queries)


def test_the_table_takes_the_same_queries_for_two_or_ten_indicators(stats, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 20, 10, tzinfo=datetime.UTC))
    _indicators(stats, [f"指标{n}" for n in range(2)])
    two = _queries(stats)
    _indicators(stats, [f"更多指标{n}" for n in range(8)])
    ten = _queries(stats)

    assert two == ten <= 4
