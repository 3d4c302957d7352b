"""/api/v1/indicators/ and /api/v1/indicator-figures/ over HTTP: anonymous, another county, a unit's
official on another unit's figure, and the callers who may."""

import datetime

import pytest

from tasks import indicators
from tasks.models import IndicatorFigure, IndicatorFigureRevision, IndicatorTarget
from tests.tasks.test_indicators import NOV, investment, stats  # noqa: F401 (fixtures)

INDICATORS = "/api/v1/indicators/"
FIGURES = "/api/v1/indicator-figures/"


@pytest.fixture
def expected(stats, investment):  # noqa: F811
    return indicators.indicator_figure_report(
        indicator=investment,
        month=NOV,
        kind="expected",
        value="95",
        gap_reason="项目推迟",
        by=stats.yingji_official,
    )


def test_anonymous_reads_nothing(stats, investment, api):  # noqa: F811
    assert api().get(INDICATORS).status_code in (401, 403)
    assert api().get(FIGURES).status_code in (401, 403)


def test_a_unit_reads_the_indicators_with_each_months_completion(stats, investment, expected, api):  # noqa: F811
    response = api(stats.shanmu_official).get(INDICATORS)

    assert response.status_code == 200
    (item,) = response.json()["results"]
    assert item["name"] == "固定资产投资"
    assert item["responsible_unit"]["id"] == stats.yingji.pk
    (month,) = item["months"]
    assert month["month"] == "2026-11-01"
    assert (month["target"], month["expected"], month["actual"]) == ("100", "95", None)
    assert (month["completion"], month["gap"], month["behind"]) == ("95.0", "-5", True)
    assert month["expected_figure_id"] == expected.pk


def test_month_filter_shows_only_that_month(stats, investment, api):  # noqa: F811
    indicators.indicator_target_set(
        indicator=investment, month=datetime.date(2026, 12, 1), target=130, by=stats.office
    )

    item = api(stats.office).get(INDICATORS, {"month": "2026-12-01"}).json()["results"][0]

    assert [m["month"] for m in item["months"]] == ["2026-12-01"]
    assert item["months"][0]["target"] == "130"


def test_another_county_gets_404_for_an_indicator_and_a_figure(stats, investment, expected, api):  # noqa: F811
    client = api(stats.other_official)

    assert client.get(f"{INDICATORS}{investment.pk}/").status_code == 404
    assert client.get(f"{FIGURES}{expected.pk}/").status_code == 404
    assert client.get(INDICATORS).json()["results"] == []


def test_office_creates_an_indicator_and_sets_a_target(stats, api):  # noqa: F811
    client = api(stats.office)
    response = client.post(
        INDICATORS,
        {
            "campaign": stats.campaign.pk,
            "name": "建筑业产值",
            "measure": "亿元",
            "kind": "cumulative",
            "responsible_unit_id": stats.yingji.pk,
            "source_unit_id": stats.tongji.pk,
            "annual_target": "40",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]

    response = client.post(
        f"{INDICATORS}{pk}/targets/", {"month": "2026-11-15", "target": "12.5"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["months"][0]["target"] == "12.5"
    assert IndicatorTarget.objects.get(indicator_id=pk).month == NOV


def test_a_unit_cannot_create_an_indicator(stats, api):  # noqa: F811
    response = api(stats.yingji_official).post(
        INDICATORS,
        {
            "campaign": stats.campaign.pk,
            "name": "建筑业产值",
            "measure": "亿元",
            "kind": "cumulative",
            "responsible_unit_id": stats.yingji.pk,
            "source_unit_id": stats.tongji.pk,
        },
        format="json",
    )

    assert response.status_code == 403


def test_office_renames_an_indicator(stats, investment, api):  # noqa: F811
    response = api(stats.office).patch(
        f"{INDICATORS}{investment.pk}/", {"name": "固定资产投资(不含农户)"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "固定资产投资(不含农户)"


def test_the_responsible_unit_reports_its_expected_figure(stats, investment, api):  # noqa: F811
    response = api(stats.yingji_official).post(
        FIGURES,
        {
            "indicator": investment.pk,
            "month": "2026-11-01",
            "kind": "expected",
            "value": "96.5",
            "measures": "加快",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["value"] == "96.5"
    assert response.json()["revisions"] == []


def test_a_unit_official_cannot_report_another_units_figure(stats, investment, api):  # noqa: F811
    response = api(stats.wanan_official).post(
        FIGURES,
        {"indicator": investment.pk, "month": "2026-11-01", "kind": "expected", "value": "96.5"},
        format="json",
    )

    assert response.status_code == 403
    assert "只有责任单位" in response.json()["detail"]
    assert not IndicatorFigure.objects.exists()


def test_a_unit_official_cannot_confirm_another_units_figure(stats, investment, expected, api):  # noqa: F811
    response = api(stats.wanan_official).post(f"{FIGURES}{expected.pk}/confirm/")

    assert response.status_code == 403


def test_a_negative_cumulative_value_is_a_400(stats, investment, api):  # noqa: F811
    response = api(stats.yingji_official).post(
        FIGURES,
        {"indicator": investment.pk, "month": "2026-11-01", "kind": "expected", "value": "-1"},
        format="json",
    )

    assert response.status_code == 400
    assert "累计值不能为负数" in str(response.json())


def test_the_source_unit_confirms_and_corrects_with_the_history_in_the_detail(stats, investment, api):  # noqa: F811
    client = api(stats.tongji_official)
    figure = client.post(
        FIGURES,
        {"indicator": investment.pk, "month": "2026-11-01", "kind": "actual", "value": "98"},
        format="json",
    ).json()

    assert client.post(f"{FIGURES}{figure['id']}/confirm/").json()["confirmed"] is True
    assert client.post(f"{FIGURES}{figure['id']}/correct/", {"value": "97"}, format="json").status_code == 400
    response = client.post(
        f"{FIGURES}{figure['id']}/correct/", {"value": "97", "reason": "口径调整"}, format="json"
    )

    assert response.status_code == 200, response.json()
    (revision,) = response.json()["revisions"]
    assert (revision["value_before"], revision["value_after"], revision["reason"]) == (
        "98",
        "97",
        "口径调整",
    )
    assert IndicatorFigureRevision.objects.count() == 1


def test_reporting_a_confirmed_figure_again_is_a_409(stats, investment, api):  # noqa: F811
    figure = indicators.indicator_figure_report(
        indicator=investment, month=NOV, kind="actual", value="98", by=stats.tongji_official
    )
    indicators.indicator_figure_confirm(figure=figure, by=stats.tongji_official)

    response = api(stats.tongji_official).post(
        FIGURES,
        {"indicator": investment.pk, "month": "2026-11-01", "kind": "actual", "value": "99"},
        format="json",
    )

    assert response.status_code == 409


def test_figures_filter_by_indicator_month_and_kind(stats, investment, expected, api):  # noqa: F811
    client = api(stats.office)

    assert (
        len(client.get(FIGURES, {"indicator": investment.pk, "month": "2026-11-20"}).json()["results"]) == 1
    )
    assert client.get(FIGURES, {"kind": "actual"}).json()["results"] == []


def test_the_indicator_list_takes_the_same_queries_for_two_or_ten_indicators(
    stats,  # noqa: F811
    api,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(names):
        for name in names:
            indicator = indicators.indicator_create(
                campaign=stats.campaign,
                name=name,
                measure="亿元",
                kind="cumulative",
                responsible_unit=stats.yingji,
                source_unit=stats.tongji,
                by=stats.office,
            )
            indicators.indicator_target_set(indicator=indicator, month=NOV, target=10, by=stats.office)
            indicators.indicator_figure_report(
                indicator=indicator, month=NOV, kind="expected", value=9, by=stats.yingji_official
            )

    def count():
        client = api(stats.office)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(INDICATORS).status_code == 200
        return len(queries)

    add([f"指标{n}" for n in range(2)])
    two = count()
    add([f"更多指标{n}" for n in range(8)])

    assert count() == two
