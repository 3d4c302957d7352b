"""Template helpers: deadlines as countdowns, progress as bars, flags as badges."""

import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def countdown(deadline: datetime.date, today: datetime.date | None = None) -> str:
    """“剩3天”, “今天到期”, “逾期5天”."""
    if not deadline:
        return ""
    days = (deadline - (today or timezone.localdate())).days
    if days > 0:
        return ngettext("剩%(days)d天", "剩%(days)d天", days) % {"days": days}
    if days == 0:
        return _("今天到期")
    return ngettext("逾期%(days)d天", "逾期%(days)d天", -days) % {"days": -days}


@register.simple_tag
def progress_bar(percent, label: str = ""):
    percent = max(0, min(100, int(percent or 0)))
    tone = "bg-success" if percent >= 100 else "bg-primary"
    return format_html(
        '<div class="progress" role="progressbar" aria-label="{}" aria-valuenow="{}" aria-valuemin="0" '
        'aria-valuemax="100"><div class="progress-bar {}" style="width: {}%">{}%</div></div>',
        label or _("进度"),
        percent,
        tone,
        percent,
        percent,
    )
