"""The bulletin (通报) as documents: the official .docx, the PDF and the xlsx attachments, rendered from
the bulletin's stored sections and figures only (supervision/bulletin_render.py)."""

import base64
import datetime
import io
import re
import zlib
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn

from supervision import bulletin_render

SHANGHAI = ZoneInfo("Asia/Shanghai")

SECTIONS = [
    {
        "key": "overview",
        "heading": "一、总体情况",
        "text": "截至12月5日,全县共有任务42项,已销号12项。\n按期完成率85.7%。",
    },
    {"key": "good", "heading": "二、进展较好", "text": "县应急局进展较好。"},
    {"key": "lagging", "heading": "三、滞后单位和事项", "text": "以下事项滞后。"},
    {"key": "orders", "heading": "四、督办和亮牌", "text": "本期下发督办单2份。"},
    {"key": "ranking", "heading": "五、争先进位排名", "text": "排名如下。"},
    {"key": "indicators", "heading": "六、主要指标", "text": "主要指标如下。"},
    {"key": "next", "heading": "七、下步要求", "text": "各单位要对照问题抓紧整改。"},
]
FIGURES = {
    "ranking": [
        {
            "kind_label": "县直部门",
            "place": 1,
            "tied": False,
            "unit": "县应急局",
            "score": 95.5,
            "previous_place": 3,
        },
        {
            "kind_label": "县直部门",
            "place": 2,
            "tied": True,
            "unit": "县住建局",
            "score": 90.0,
            "previous_place": 2,
        },
        {
            "kind_label": "乡镇",
            "place": 2,
            "tied": True,
            "unit": "大槐树镇",
            "score": 90.0,
            "previous_place": None,
        },
    ],
    "lagging": {
        "units": [{"unit_id": 7, "unit": "县住建局", "overdue": 1, "behind": 0, "last_problems": "人手不足"}],
        "tasks": [
            {
                "code": "HD-001",
                "title": "燃气管道巡检",
                "unit": "县住建局",
                "deadline": "2026-11-30",
                "days_overdue": 5,
                "last_problems": "人手不足",
            }
        ],
    },
    "indicators_month": "2026-11-01",
    "indicators": [
        {  # a row of tasks.indicators.indicator_table, stored as JSON
            "name": "固定资产投资",
            "measure": "亿元",
            "responsible_unit": {"id": 9, "name": "县发改局"},
            "months": [
                {
                    "month": "2026-11-01",
                    "target": "12.50",
                    "expected": "11.2",
                    "actual": None,
                    "completion": "89.6",
                    "gap": "-1.3",
                    "behind": True,
                },
                {
                    "month": "2026-12-01",
                    "target": "14",
                    "expected": None,
                    "actual": None,
                    "completion": None,
                    "gap": None,
                    "behind": False,
                },
            ],
        }
    ],
}


def a_bulletin(**changes):
    """A bulletin as the renderers read it: its region, number, status, text and frozen figures."""
    values = {
        "region": SimpleNamespace(name="洪洞县"),
        "kind": "weekly",
        "get_kind_display": lambda: "周报",
        "year": 2026,
        "number": 3,
        "status": "issued",
        "title": "关于冬季行动第三周推进情况的通报",
        "sections": SECTIONS,
        "figures": FIGURES,
        "cutoff": datetime.datetime(2026, 12, 5, 9, 0, tzinfo=SHANGHAI),
        "issued_at": datetime.datetime(2026, 12, 5, 16, 30, tzinfo=SHANGHAI),
        "signed_by": SimpleNamespace(first_name="强", last_name="王", position="县长"),
    }
    values.update(changes)
    return SimpleNamespace(**values)


def a_draft(**changes):
    return a_bulletin(status="draft", number=None, issued_at=None, signed_by=None, **changes)


# ---- .docx ----------------------------------------------------------------------------------------------


def opened(data: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(data))


def texts(document) -> list[str]:
    return [paragraph.text for paragraph in document.paragraphs]


def east_asian_font(run) -> str | None:
    return run._element.rPr.rFonts.get(qn("w:eastAsia"))


def test_the_docx_opens_with_the_red_masthead_over_the_number_of_the_issue():
    document = opened(bulletin_render.bulletin_docx(a_bulletin()))

    masthead, number, office = document.paragraphs[:3]
    assert masthead.text == "洪洞县冬季行动督查通报"
    assert str(masthead.runs[0].font.color.rgb) == bulletin_render.RED_HEX
    assert east_asian_font(masthead.runs[0]) == "方正小标宋简体"
    assert number.text == "第3期"
    assert office.text == "洪洞县冬季行动督查室\t2026年12月5日"
    rule = office._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert rule.get(qn("w:color")) == bulletin_render.RED_HEX


def test_a_draft_says_draft_where_the_number_goes():
    document = opened(bulletin_render.bulletin_docx(a_draft()))

    assert document.paragraphs[1].text == "草稿"
    assert not any("第" in text and "期" in text for text in texts(document)[:3])


def test_the_docx_has_the_title_and_the_section_headings_in_heiti():
    document = opened(bulletin_render.bulletin_docx(a_bulletin()))
    by_text = {paragraph.text: paragraph for paragraph in document.paragraphs}

    assert "关于冬季行动第三周推进情况的通报" in by_text
    for heading in ("一、总体情况", "三、滞后单位和事项", "五、争先进位排名", "七、下步要求"):
        assert east_asian_font(by_text[heading].runs[0]) == "黑体"
    assert "按期完成率85.7%。" in by_text  # each line of the office's text is a paragraph


def test_the_docx_body_is_fangsong_sanhao_indented_two_characters_on_a_28_point_line():
    document = opened(bulletin_render.bulletin_docx(a_bulletin()))
    normal = document.styles["Normal"]
    body = next(p for p in document.paragraphs if p.text.startswith("截至12月5日"))

    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert normal.font.size.pt == 16
    assert body.paragraph_format.line_spacing.pt == 28
    assert body.paragraph_format.first_line_indent.pt == 32
    assert body._p.pPr.ind.get(qn("w:firstLineChars")) == "200"


def test_the_docx_page_is_a4_with_the_official_margins():
    section = opened(bulletin_render.bulletin_docx(a_bulletin())).sections[0]

    assert section.page_width.mm == pytest.approx(210, abs=0.1)
    assert section.page_height.mm == pytest.approx(297, abs=0.1)
    margins = [section.top_margin, section.bottom_margin, section.left_margin, section.right_margin]
    assert [margin.mm for margin in margins] == pytest.approx([37, 35, 28, 26], abs=0.1)


def test_the_docx_tables_show_the_lagging_tasks_the_ranking_with_last_places_and_the_indicators():
    document = opened(bulletin_render.bulletin_docx(a_bulletin()))
    lagging, ranking, indicators = [
        [[cell.text for cell in row.cells] for row in t.rows] for t in document.tables
    ]

    assert lagging[0] == ["编号", "任务", "牵头单位", "完成时限", "逾期天数", "最近存在问题"]
    assert lagging[1] == ["HD-001", "燃气管道巡检", "县住建局", "2026年11月30日", "5", "人手不足"]
    assert ranking[0] == ["类别", "名次", "单位", "得分", "上期名次", "升降"]
    assert ranking[1:] == [
        ["县直部门", "1", "县应急局", "95.5", "3", "↑2"],
        ["县直部门", "2(并列)", "县住建局", "90.0", "2", "持平"],
        ["乡镇", "2(并列)", "大槐树镇", "90.0", "—", "—"],
    ]
    assert indicators[0][:3] == ["指标", "计量单位", "责任单位"]
    assert indicators[1] == [
        "固定资产投资",
        "亿元",
        "县发改局",
        "12.5",
        "11.2",
        "—",
        "89.6",
        "-1.3",
    ]  # November
    table_font = east_asian_font(document.tables[0].rows[1].cells[0].paragraphs[0].runs[0])
    assert table_font == "仿宋_GB2312"


def test_each_table_follows_its_section():
    document = opened(bulletin_render.bulletin_docx(a_bulletin()))
    order = [getattr(block, "text", "table") for block in document.iter_inner_content()]

    lagging_heading, ranking_heading = order.index("三、滞后单位和事项"), order.index("五、争先进位排名")
    assert "table" in order[lagging_heading : order.index("四、督办和亮牌")]
    assert "table" in order[ranking_heading : order.index("六、主要指标")]


def test_a_table_without_rows_is_left_out():
    figures = {**FIGURES, "indicators": [], "lagging": {"units": [], "tasks": []}}
    document = opened(bulletin_render.bulletin_docx(a_bulletin(figures=figures)))

    assert len(document.tables) == 1  # the ranking


def test_the_docx_ends_with_the_office_the_signing_leader_and_the_date():
    lines = texts(opened(bulletin_render.bulletin_docx(a_bulletin())))

    assert "签发:王强" in lines
    signature = lines.index("签发:王强")
    assert lines[signature - 1] == "洪洞县冬季行动督查室"
    assert lines[signature + 1] == "2026年12月5日"


def test_the_docx_is_rendered_from_the_stored_figures_only_and_renders_the_same_bytes():
    bulletin = a_bulletin()

    assert bulletin_render.bulletin_docx(bulletin) == bulletin_render.bulletin_docx(bulletin)


def test_the_office_text_is_printed_as_text():
    sections = [{"key": "next", "heading": "七、下步要求", "text": "<b>加强</b> & 落实"}]
    document = opened(bulletin_render.bulletin_docx(a_bulletin(sections=sections)))

    assert "<b>加强</b> & 落实" in texts(document)


# ---- PDF --------------------------------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    """The text drawn on the pages: the content streams unpacked (ASCII85, Flate), the strings shown in
    the CID font read as UTF-16."""
    shown = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        content = zlib.decompress(base64.a85decode(stream.strip(), adobe=stream.strip().endswith(b"~>")))
        for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", content, re.S):
            raw = re.sub(
                rb"\\([0-7]{1,3}|.)",
                lambda m: (
                    bytes([int(m[1], 8)])
                    if m[1][:1].isdigit()
                    else {b"n": b"\n", b"r": b"\r"}.get(m[1], m[1])
                ),
                literal,
            )
            shown.append(raw.decode("utf-16-be", errors="replace"))
    return "".join(shown)


def test_the_pdf_is_a_pdf_with_the_masthead_number_sections_and_tables():
    data = bulletin_render.bulletin_pdf(a_bulletin())
    text = pdf_text(data)

    assert data.startswith(b"%PDF")
    for expected in (
        "洪洞县冬季行动督查通报",
        "第3期",
        "一、总体情况",
        "燃气管道巡检",
        "县应急局",
        "签发:王强",
    ):
        assert expected in text


def test_the_pdf_renders_the_same_bytes_every_time_dated_by_the_issue():
    bulletin = a_bulletin()
    data = bulletin_render.bulletin_pdf(bulletin)

    assert bulletin_render.bulletin_pdf(bulletin) == data
    assert b"/CreationDate (D:20261205163000+08'00')" in data


def test_a_draft_pdf_is_dated_by_its_cutoff_and_marked_draft():
    data = bulletin_render.bulletin_pdf(a_draft())

    assert b"/CreationDate (D:20261205090000+08'00')" in data
    assert "草稿" in pdf_text(data)


def test_the_pdf_page_is_a4():
    data = bulletin_render.bulletin_pdf(a_bulletin())

    assert re.search(rb"/MediaBox \[\s*0 0 595.2756 841.8898\s*\]", data)


# ---- xlsx --------------------------------------------------------------------------------------------------


def test_the_attachments_have_the_ranking_the_lagging_tasks_and_the_indicators():
    book = openpyxl.load_workbook(io.BytesIO(bulletin_render.bulletin_xlsx(a_bulletin())))

    assert book.sheetnames == ["排名", "滞后事项", "主要指标"]
    ranking, lagging, indicators = (book[name] for name in book.sheetnames)
    assert [cell.value for cell in ranking[3]] == ["类别", "名次", "并列", "单位", "得分", "上期名次"]
    assert [cell.value for cell in ranking[4]] == ["县直部门", 1, None, "县应急局", 95.5, 3]
    assert [cell.value for cell in lagging[3]] == [
        "编号",
        "任务",
        "牵头单位",
        "完成时限",
        "逾期天数",
        "最近存在问题",
    ]
    assert lagging["D4"].value == datetime.datetime(2026, 11, 30) and lagging["E4"].value == 5
    assert [indicators[f"{column}4"].value for column in "ACDE"] == ["固定资产投资", "县发改局", 12.5, 11.2]
    assert "第3期" in ranking["A1"].value


def test_the_documents_are_chinese_whatever_the_reader_s_language():
    from django.utils import translation

    with translation.override("en"):
        document = opened(bulletin_render.bulletin_docx(a_bulletin()))

    assert document.paragraphs[1].text == "第3期"


# ---- A bulletin issued through the services ---------------------------------------------------------------


def test_an_issued_bulletin_renders_again_to_the_bytes_stored_at_its_issue(world):
    from supervision import services
    from tests.factories import days

    bulletin = services.bulletin_draft(
        campaign=world.campaign,
        region=world.county,
        kind="weekly",
        period_start=days(-6),
        period_end=days(0),
        by=world.office,
    )
    services.bulletin_sign(bulletin=bulletin, by=world.leader)
    bulletin = services.bulletin_issue(bulletin=bulletin, by=world.office)
    bulletin.refresh_from_db()

    assert bulletin_render.bulletin_pdf(bulletin) == bytes(bulletin.pdf)
    assert bulletin_render.bulletin_docx(bulletin) == bytes(bulletin.docx)
    stored = opened(bytes(bulletin.docx))
    assert stored.paragraphs[0].text == "洪洞县冬季行动督查通报"
    assert stored.paragraphs[1].text == "第1期"
