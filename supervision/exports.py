"""The ranking as an Excel workbook in the ledger's layout (winteraction.xlsx): a title with the campaign
and the day, the filters in words under it, a frozen header with an autofilter, the rows of
`dashboard.ranking` (the same figures as the page and the API, as numbers: a rate is a number 0–100 with
one decimal, not text), then the formula and the rule for empty rates under the table."""

import datetime

from django.utils.translation import gettext as _

from tasks.models import UnitKind
from winteraction import xlsx


def _columns() -> list[tuple[str, xlsx.Column]]:
    """(row key, column); the rates are percentages 0–100 with one decimal."""
    return [
        ("rank", xlsx.Column(_("名次"), "index")),
        ("tied", xlsx.Column(_("并列"), "name", width=6)),
        ("name", xlsx.Column(_("单位"), "name", width=18)),
        ("kind", xlsx.Column(_("单位类别"), "name", width=10)),
        ("score", xlsx.Column(_("得分"), "decimal")),
        ("tasks", xlsx.Column(_("牵头任务"), "number")),
        ("closed", xlsx.Column(_("已销号"), "number")),
        ("overdue", xlsx.Column(_("逾期任务"), "number")),
        ("overdue_days", xlsx.Column(_("逾期天数"), "number")),
        ("on_time_rate", xlsx.Column(_("按期完成率(%)"), "decimal", width=12)),
        ("timeliness", xlsx.Column(_("填报及时率(%)"), "decimal", width=12)),
        ("completion_rate", xlsx.Column(_("完成率(%)"), "decimal", width=12)),
        ("returned", xlsx.Column(_("销号退回次数"), "number", width=12)),
        ("open_orders", xlsx.Column(_("未销号督办单"), "number", width=12)),
        ("overdue_orders", xlsx.Column(_("逾期督办单"), "number", width=12)),
    ]


def _value(key: str, row: dict):
    value = row[key]
    if key == "tied":
        return _("并列") if value else ""
    if key == "kind":
        return str(UnitKind(value).label)
    return value  # None stays an empty cell: nothing to measure, or not ranked


def _campaign_name(campaign) -> str:
    return campaign.name if campaign is not None else _("全部行动")


def _filters(special_action, county) -> str:
    words = []
    if special_action is not None:
        words.append(f"{_('专项行动')}={special_action.name}")
    if county is not None:
        words.append(f"{_('县(市、区)')}={county.name}")
    return ";".join(words)


def ranking_workbook(ranking: dict, *, campaign=None, special_action=None, county=None) -> bytes:
    """The ranking of `campaign` (None: every campaign), narrowed to a special action and a county."""
    columns = _columns()
    filters = _filters(special_action, county)
    rows = (
        [_value(key, row) for key, _column in columns] for group in ranking["groups"] for row in group["rows"]
    )
    return xlsx.workbook(
        sheet=_("单位排名"),
        title=_("%(campaign)s争先进位排名(截至 %(day)s)")
        % {"campaign": _campaign_name(campaign), "day": xlsx.date_in_words(ranking["today"])},
        subtitle=_("筛选:%(filters)s") % {"filters": filters} if filters else "",
        columns=[column for _key, column in columns],
        rows=rows,
        notes=[ranking["formula"], ranking["empty_rule"]],
    )


def ranking_filename(campaign, special_action, county, today: datetime.date) -> str:
    """<campaign>争先进位排名[_<special action>][_<county>]_<date>.xlsx"""
    parts = [_("%(campaign)s争先进位排名") % {"campaign": _campaign_name(campaign)}]
    parts += [row.name for row in (special_action, county) if row is not None]
    parts.append(today.strftime("%Y%m%d"))
    return "_".join(parts) + ".xlsx"


def ranking_ascii_filename(today: datetime.date) -> str:
    return f"ranking_{today:%Y%m%d}.xlsx"
