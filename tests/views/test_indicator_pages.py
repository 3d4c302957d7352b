"""指标 pages: the indicators × months table, the monthly entry form, confirmation and correction, and
the import of the month's figures from a sheet.

Time stands on Thursday 2026-12-03 (Asia/Shanghai): conftest's campaign then runs from 11-03 to
2027-02-01, so its months are November to February and November is the month being reported.
"""

import datetime
import html
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tasks.indicators import (
    indicator_create,
    indicator_figure_confirm,
    indicator_figure_report,
    indicator_target_set,
)
from tasks.models import FigureKind, IndicatorFigure, IndicatorFigureRevision
from tests.factories import statistics_bureau
from tests.import_workbooks import upload

NOV = datetime.date(2026, 11, 1)
DEC = datetime.date(2026, 12, 1)
HEADERS = ["指标名称", "类型", "数值", "差距原因", "措施"]


@pytest.fixture
def w(db, time_machine, request):
    time_machine.move_to(datetime.datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
    w = request.getfixturevalue("world")
    w.stats, w.stats_official = statistics_bureau(w)
    w.investment = indicator_create(
        campaign=w.campaign,
        name="固定资产投资",
        measure="亿元",
        kind="cumulative",
        responsible_unit=w.wanan,
        source_unit=w.stats,
        annual_target="120",
        sort_order=1,
        by=w.office,
    )
    w.industry = indicator_create(
        campaign=w.campaign,
        name="规上工业增加值增速",
        measure="%",
        kind="growth",
        responsible_unit=w.yingji,
        source_unit=w.stats,
        sort_order=2,
        by=w.office,
    )
    indicator_target_set(indicator=w.investment, month=NOV, target="10", by=w.office)
    indicator_target_set(indicator=w.investment, month=DEC, target="20", by=w.office)
    indicator_target_set(indicator=w.industry, month=NOV, target="5", by=w.office)
    return w


def report(w, indicator, kind, value, by, month=NOV, **texts):
    return indicator_figure_report(indicator=indicator, month=month, kind=kind, value=value, by=by, **texts)


def signed_in(client, person):
    client.force_login(person)
    return client


def sheet(rows, headers=HEADERS) -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["洪洞县 11月主要指标"])
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def post_sheet(client, content, month="2026-11", name="指标.xlsx"):
    return client.post(reverse("indicator-import"), {"month": month, "file": upload(name, content)})


# ---- The table ----------------------------------------------------------------------------------------


def test_the_table_shows_target_expected_actual_completion_and_gap_per_month(client, w):
    report(w, w.investment, "expected", "9", w.wanan_official)
    report(w, w.investment, "actual", "8.5", w.stats_official)
    report(w, w.industry, "actual", "6", w.stats_official)
    page = signed_in(client, w.wanan_official).get(reverse("indicator-list")).content.decode()
    assert "2026年11月" in page and "2026年12月" in page and "2027年1月" in page
    assert "固定资产投资" in page and "亿元" in page and "累计值" in page and "县统计局" in page
    assert "120" in page  # the annual target
    assert "85.0%" in page and "-1.5" in page  # 8.5 of 10
    assert "120.0%" in page and "+1" in page and "个百分点" in page  # 6% against 5%


def test_a_figure_behind_its_target_is_marked_red_and_in_words(client, w):
    report(w, w.investment, "actual", "8.5", w.stats_official)
    report(w, w.industry, "actual", "6", w.stats_official)
    page = signed_in(client, w.office).get(reverse("indicator-list"), {"month": "2026-11"}).content.decode()
    investment = page[page.index(f'data-indicator="{w.investment.pk}"') :]
    investment = investment[: investment.index("</tr>")]
    industry = page[page.index(f'data-indicator="{w.industry.pk}"') :]
    industry = industry[: industry.index("</tr>")]
    assert "wa-behind" in investment and "↓ 滞后" in investment
    assert "wa-behind" not in industry and "滞后" not in industry


def test_without_an_actual_figure_the_completion_is_the_expected_ones(client, w):
    report(w, w.investment, "expected", "12", w.wanan_official)
    page = signed_in(client, w.office).get(reverse("indicator-list"), {"month": "2026-11"}).content.decode()
    assert "120.0%" in page and "(按预计)" in page


def test_the_table_filters_by_month_and_by_responsible_unit(client, w):
    client = signed_in(client, w.office)
    page = client.get(reverse("indicator-list"), {"month": "2026-12"}).content.decode()
    assert "2026年12月</th>" in page and "2026年11月</th>" not in page
    page = client.get(reverse("indicator-list"), {"unit": w.yingji.pk}).content.decode()
    assert "规上工业增加值增速" in page and "固定资产投资</div>" not in page


def table_queries(client, w, count) -> int:
    for n in range(count):
        indicator = indicator_create(
            campaign=w.campaign,
            name=f"指标{n}",
            measure="亿元",
            kind="cumulative",
            responsible_unit=w.wanan,
            source_unit=w.stats,
            by=w.office,
        )
        indicator_target_set(indicator=indicator, month=NOV, target="3", by=w.office)
        report(w, indicator, "actual", "2", w.stats_official)
    client.get(reverse("indicator-list"))  # the session and the caches settle
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("indicator-list"))
    assert response.status_code == 200
    return len(queries)


def test_the_table_takes_the_same_number_of_queries_for_2_and_10_indicators(client, w):
    client = signed_in(client, w.office)
    with_two = table_queries(client, w, 0)
    with_ten = table_queries(client, w, 8)
    assert with_two == with_ten


def test_the_navigation_links_to_the_indicators(client, w):
    page = signed_in(client, w.wanan_official).get(reverse("home")).content.decode()
    assert f'href="{reverse("indicator-list")}"' in page


# ---- The entry form ---------------------------------------------------------------------------------


def test_a_unit_is_offered_the_figures_it_reports(client, w):
    page = signed_in(client, w.wanan_official).get(reverse("indicator-entry")).content.decode()
    assert f'name="f{w.investment.pk}-expected-value"' in page
    assert f"f{w.investment.pk}-actual-value" not in page and f"f{w.industry.pk}-" not in page
    page = signed_in(client, w.stats_official).get(reverse("indicator-entry")).content.decode()
    assert (
        f'name="f{w.investment.pk}-actual-value"' in page and f'name="f{w.industry.pk}-actual-value"' in page
    )
    assert "-expected-value" not in page


def test_the_office_sees_every_figure_of_the_month(client, w):
    page = signed_in(client, w.office).get(reverse("indicator-entry"), {"month": "2026-11"}).content.decode()
    for indicator in (w.investment, w.industry):
        for kind in ("expected", "actual"):
            assert f'name="f{indicator.pk}-{kind}-value"' in page


def test_the_entry_form_saves_all_rows_in_one_post(client, w):
    client = signed_in(client, w.stats_official)
    response = client.post(
        reverse("indicator-entry"),
        {
            "month": "2026-11",
            f"f{w.investment.pk}-actual-value": "8.5",
            f"f{w.investment.pk}-actual-gap_reason": "两个项目延后开工",
            f"f{w.investment.pk}-actual-measures": "专班盯办",
            f"f{w.industry.pk}-actual-value": "5.2",
        },
    )
    assert response.status_code == 302
    figures = {f.indicator_id: f for f in IndicatorFigure.objects.filter(month=NOV, kind="actual")}
    assert figures[w.investment.pk].value == Decimal("8.5")
    assert figures[w.investment.pk].gap_reason == "两个项目延后开工"
    assert figures[w.industry.pk].value == Decimal("5.2")
    assert figures[w.industry.pk].reported_by == w.stats_official


def test_an_invalid_row_shows_its_error_and_saves_nothing(client, w):
    client = signed_in(client, w.stats_official)
    response = client.post(
        reverse("indicator-entry"),
        {
            "month": "2026-11",
            f"f{w.investment.pk}-actual-value": "8.5",
            f"f{w.industry.pk}-actual-value": "约3亿",
        },
    )
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert '数值"约3亿"不是数字' in page and "全部未保存" in page
    assert 'value="8.5"' in page  # what was typed stays
    assert not IndicatorFigure.objects.exists()


def test_a_row_the_service_refuses_rolls_back_the_others(client, w):
    client = signed_in(client, w.office)
    response = client.post(
        reverse("indicator-entry"),
        {
            "month": "2026-12",
            f"f{w.investment.pk}-expected-value": "18",
            f"f{w.investment.pk}-actual-value": "-3",  # a cumulative figure is never negative
        },
    )
    assert response.status_code == 400
    assert "累计值不能为负数" in response.content.decode()
    assert not IndicatorFigure.objects.exists()


def test_a_unit_cannot_post_another_units_figure(client, w):
    response = signed_in(client, w.wanan_official).post(
        reverse("indicator-entry"),
        {
            "month": "2026-11",
            f"f{w.investment.pk}-expected-value": "9",
            f"f{w.industry.pk}-expected-value": "4",  # 县应急管理局's
        },
    )
    assert response.status_code == 403
    assert not IndicatorFigure.objects.exists()


def test_the_source_unit_confirms_an_actual_figure(client, w):
    figure = report(w, w.investment, "actual", "8.5", w.stats_official)
    client = signed_in(client, w.stats_official)
    page = client.get(reverse("indicator-entry")).content.decode()
    assert reverse("indicator-figure-confirm", args=[figure.pk]) in page
    response = client.post(reverse("indicator-figure-confirm", args=[figure.pk]))
    assert response.status_code == 302
    figure.refresh_from_db()
    assert figure.confirmed_by == w.stats_official


def test_the_responsible_unit_cannot_confirm(client, w):
    figure = report(w, w.investment, "actual", "8.5", w.stats_official)
    response = signed_in(client, w.wanan_official).post(reverse("indicator-figure-confirm", args=[figure.pk]))
    assert response.status_code == 403
    figure.refresh_from_db()
    assert figure.confirmed_at is None


def test_a_confirmed_figure_is_read_only_with_a_correction_link(client, w):
    figure = report(w, w.investment, "actual", "8.5", w.stats_official)
    indicator_figure_confirm(figure=figure, by=w.stats_official)
    page = signed_in(client, w.stats_official).get(reverse("indicator-entry")).content.decode()
    assert f'name="f{w.investment.pk}-actual-value"' not in page
    assert "已确认" in page and reverse("indicator-figure-correct", args=[figure.pk]) in page


def test_posting_over_a_confirmed_figure_changes_nothing(client, w):
    figure = report(w, w.investment, "actual", "8.5", w.stats_official)
    indicator_figure_confirm(figure=figure, by=w.stats_official)
    signed_in(client, w.stats_official).post(
        reverse("indicator-entry"), {"month": "2026-11", f"f{w.investment.pk}-actual-value": "9"}
    )
    figure.refresh_from_db()
    assert figure.value == Decimal("8.5")


def test_a_correction_needs_a_reason_and_is_kept_in_history(client, w):
    figure = report(w, w.investment, "actual", "8.5", w.stats_official)
    indicator_figure_confirm(figure=figure, by=w.stats_official)
    client = signed_in(client, w.stats_official)
    url = reverse("indicator-figure-correct", args=[figure.pk])
    response = client.post(url, {"value": "8.8", "reason": ""})
    assert response.status_code == 400
    figure.refresh_from_db()
    assert figure.value == Decimal("8.5")
    response = client.post(url, {"value": "8.8", "reason": "统计局年报口径调整"})
    assert response.status_code == 302
    figure.refresh_from_db()
    assert figure.value == Decimal("8.8")
    revision = IndicatorFigureRevision.objects.get(figure=figure, correction=True)
    assert (revision.value_before, revision.value_after) == (Decimal("8.5"), Decimal("8.8"))
    assert revision.reason == "统计局年报口径调整"
    page = client.get(url).content.decode()
    assert "统计局年报口径调整" in page and "8.5 → 8.8" in page


def test_the_responsible_unit_cannot_open_the_correction_form(client, w):
    figure = report(w, w.investment, "actual", "8.5", w.stats_official)
    indicator_figure_confirm(figure=figure, by=w.stats_official)
    response = signed_in(client, w.wanan_official).get(reverse("indicator-figure-correct", args=[figure.pk]))
    assert response.status_code == 403


# ---- Import -------------------------------------------------------------------------------------------


def test_an_import_with_errors_shows_their_cells_and_writes_nothing(client, w):
    content = sheet(
        [
            ["固定资产投资", "实际", "8.5", "", ""],
            ["规上工业增加值增速", "实际", "约3亿", "", ""],
            ["固定资产投", "实际", "1", "", ""],
            ["规上工业增加值增速", "估计", "1", "", ""],
        ]
    )
    response = post_sheet(signed_in(client, w.stats_official), content)
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert 'C4: 数值"约3亿"不是数字' in page
    assert "A5: 未知指标" in page and "固定资产投资" in page.split("A5: 未知指标", 1)[1][:80]
    assert "B6: 类型" in page
    assert not IndicatorFigure.objects.exists()


def test_the_fixed_import_writes_every_figure(client, w):
    content = sheet(
        [
            ["固定资产投资", "实际", 8.5, "两个项目延后开工", "专班盯办"],
            ["规上工业增加值增速", "实际", "5.2", "", ""],
        ]
    )
    response = post_sheet(signed_in(client, w.stats_official), content)
    assert response.status_code == 302, response.content.decode()[:3000]
    figures = {f.indicator_id: f for f in IndicatorFigure.objects.filter(month=NOV, kind=FigureKind.ACTUAL)}
    assert figures[w.investment.pk].value == Decimal("8.5")
    assert figures[w.investment.pk].measures == "专班盯办"
    assert figures[w.industry.pk].value == Decimal("5.2")


def test_a_month_column_overrides_the_chosen_month(client, w):
    content = sheet([["固定资产投资", "预计", "18", "", "", "2026-12"]], headers=[*HEADERS, "月份"])
    response = post_sheet(signed_in(client, w.wanan_official), content, month="2026-11")
    assert response.status_code == 302
    assert IndicatorFigure.objects.get().month == DEC


def test_an_import_refuses_a_row_of_another_unit(client, w):
    content = sheet([["固定资产投资", "预计", "9", "", ""], ["规上工业增加值增速", "预计", "4", "", ""]])
    response = post_sheet(signed_in(client, w.wanan_official), content)
    assert response.status_code == 400
    assert "A4: 只有县应急管理局可以填报规上工业增加值增速的预计数" in response.content.decode()
    assert not IndicatorFigure.objects.exists()


def test_an_import_refuses_what_is_no_xlsx(client, w):
    response = post_sheet(signed_in(client, w.stats_official), b"a,b\n1,2\n", name="指标.csv")
    assert response.status_code == 400
    assert ".xlsx" in response.content.decode()
    assert not IndicatorFigure.objects.exists()


def test_an_import_refuses_a_file_over_10_mb(client, w, monkeypatch):
    monkeypatch.setattr("tasks.imports.MAX_BYTES", 1000)
    content = sheet([["固定资产投资", "实际", f"{n}", "x" * 50, ""] for n in range(200)])
    response = post_sheet(signed_in(client, w.stats_official), content)
    assert response.status_code == 400
    assert "10 MB" in response.content.decode()


def test_the_template_lists_the_units_figures_for_the_month(client, w):
    response = signed_in(client, w.stats_official).get(
        reverse("indicator-import-template"), {"month": "2026-11"}
    )
    assert response.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [row for row in ws.iter_rows(values_only=True) if row[0] in ("固定资产投资", "规上工业增加值增速")]
    assert [(row[0], row[1], row[5]) for row in rows] == [
        ("固定资产投资", "实际", "2026-11"),
        ("规上工业增加值增速", "实际", "2026-11"),
    ]


def test_a_filled_template_imports(client, w):
    client = signed_in(client, w.stats_official)
    response = client.get(reverse("indicator-import-template"), {"month": "2026-11"})
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    ws = book.active
    for row in ws.iter_rows():
        if row[0].value == "固定资产投资":
            row[2].value = 8.5
        if row[0].value == "规上工业增加值增速":
            row[2].value = 5.5
    out = io.BytesIO()
    book.save(out)
    response = post_sheet(client, out.getvalue(), month="2026-12")
    assert response.status_code == 302, response.content.decode()[:3000]
    assert set(IndicatorFigure.objects.values_list("month", "value")) == {
        (NOV, Decimal("8.5")),
        (NOV, Decimal("5.5")),
    }


def test_an_import_refuses_too_many_rows(client, w, monkeypatch):
    monkeypatch.setattr("tasks.imports.MAX_ROWS", 5)
    content = sheet([["固定资产投资", "实际", f"{n}", "", ""] for n in range(30)])
    response = post_sheet(signed_in(client, w.stats_official), content)
    assert response.status_code == 400
    assert "数据超过 5 行" in response.content.decode()
    assert not IndicatorFigure.objects.exists()
