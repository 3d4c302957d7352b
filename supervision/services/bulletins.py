"""Bulletins (情况通报): drafted by the office from the data at a cutoff, edited, signed by a leader of the
region, issued by the office (numbered 第N期 per region, kind and year, frozen: figures, text and the
PDF and .docx bytes stored) or discarded.

    draft ──sign──▶ signed ──issue──▶ issued
      ▲  ◀──edit / refresh──┘
      └──discard (draft or signed) ──▶ discarded

The number is taken at issue, under a lock on the region's counter row: two offices issuing at once
get N and N+1, a rolled-back issue gives its number back, and a discarded draft never took one.
Every step is on the bulletin's history (BulletinEvent).
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.lookups import StartsWith
from django.utils import timezone
from django.utils.translation import gettext as _

from tasks import clock
from tasks.models import Campaign, Person, Unit
from tasks.selectors import campaigns_visible_to
from tasks.services import InvalidTransition

from .. import bulletin_render, bulletins, handoffs, permissions, webhooks
from ..models import (
    Bulletin,
    BulletinCounter,
    BulletinEvent,
    BulletinEventKind,
    BulletinKind,
    BulletinStatus,
    ReminderRule,
    SupervisionGroup,
)

# ---- Checks ------------------------------------------------------------------------------------------


def _require_office(by: Person, region: Unit, action: str) -> None:
    if not permissions.may_draft_bulletin(by, region):
        raise PermissionDenied(_("只有本地区的督查室可以%(action)s。") % {"action": action})


def _require_status(bulletin: Bulletin, allowed, action: str) -> None:
    if bulletin.status not in allowed:
        raise InvalidTransition(
            _("通报当前状态为“%(status)s”,不能%(action)s。")
            % {"status": bulletin.get_status_display(), "action": action}
        )


def _event(bulletin: Bulletin, kind: str, by: Person, note: str = "") -> BulletinEvent:
    return BulletinEvent.objects.create(bulletin=bulletin, kind=kind, actor=by, at=clock.now(), note=note)


def _locked(bulletin: Bulletin) -> Bulletin:
    return (
        Bulletin.objects.select_for_update(of=("self",))
        .select_related("campaign", "region")
        .get(pk=bulletin.pk)
    )


def _clean_sections(sections) -> list[dict]:
    """The editable text: a list of {"key", "heading", "text"}, strings, keys unique."""
    if not isinstance(sections, list) or not sections:
        raise ValidationError({"sections": _("正文须是非空的段落列表。")})
    cleaned, keys = [], set()
    for section in sections:
        if not isinstance(section, dict) or not all(
            isinstance(section.get(name), str) for name in ("key", "heading", "text")
        ):
            raise ValidationError({"sections": _("每一部分须有 key、heading 和 text 三项文字。")})
        key = section["key"].strip()
        if not key or key in keys:
            raise ValidationError({"sections": _("每一部分的 key 不能为空,也不能重复。")})
        keys.add(key)
        cleaned.append({"key": key, "heading": section["heading"].strip(), "text": section["text"].strip()})
    return cleaned


def _back_to_draft(bulletin: Bulletin) -> None:
    """A signed bulletin changed is a new text: the leader signs again."""
    bulletin.status = BulletinStatus.DRAFT
    bulletin.signed_by = None
    bulletin.signed_at = None


def _figures(bulletin: Bulletin, by: Person) -> dict:
    return bulletins.build_figures(
        campaign=bulletin.campaign,
        region=bulletin.region,
        cutoff=bulletin.cutoff,
        period_start=bulletin.period_start,
        period_end=bulletin.period_end,
        viewer=by,
    )


def groups_covering(region: Unit):
    """The active supervision groups whose scope overlaps the region: a group sent to the region (or to
    a region containing it), or to units inside it."""
    return (
        SupervisionGroup.objects.filter(is_active=True)
        .filter(
            Q(scope_units__path__startswith=region.path)
            | Q(StartsWith(Value(region.path), F("scope_units__path")))
        )
        .distinct()
    )


# ---- Steps ---------------------------------------------------------------------------------------------


@transaction.atomic
def bulletin_draft(
    *,
    campaign: Campaign,
    region: Unit,
    kind: str,
    period_start: datetime.date,
    period_end: datetime.date,
    by: Person,
    cutoff: datetime.datetime | None = None,
    title: str = "",
) -> Bulletin:
    """A draft generated from the data at `cutoff` (default: now): its figures and default text."""
    _require_office(by, region, _("起草情况通报"))
    if not region.is_region:
        raise ValidationError({"region": _("情况通报只能按省、市或县地区起草。")})
    if not campaigns_visible_to(by).filter(pk=campaign.pk).exists():
        raise ValidationError({"campaign": _("无权查看该行动。")})
    owner = campaign.owner
    if not (region.path.startswith(owner.path) or owner.path.startswith(region.path)):
        raise ValidationError({"region": _("通报地区不在该行动的范围内。")})
    if kind not in BulletinKind.values:
        raise ValidationError({"kind": _("请选择通报类型。")})
    if period_start > period_end:
        raise ValidationError({"period_end": _("通报期的开始日期不能晚于结束日期。")})
    now = timezone.now()
    cutoff = cutoff or now
    if cutoff > now:
        raise ValidationError({"cutoff": _("统计截止时间不能晚于现在。")})
    bulletin = Bulletin(
        campaign=campaign,
        region=region,
        kind=kind,
        year=timezone.localtime(cutoff).year,
        period_start=period_start,
        period_end=period_end,
        cutoff=cutoff,
        title=(title or "").strip()
        or bulletins.default_title(
            region=region, campaign=campaign, kind_label=str(BulletinKind(kind).label)
        ),
        created_by=by,
        created_at=clock.now(),
    )
    bulletin.figures = _figures(bulletin, by)
    bulletin.sections = bulletins.default_sections(bulletin.figures)
    bulletin.full_clean(exclude=["pdf", "docx"])
    bulletin.save()
    _event(bulletin, BulletinEventKind.DRAFTED, by)
    return bulletin


@transaction.atomic
def bulletin_refresh(*, bulletin: Bulletin, by: Person, cutoff: datetime.datetime | None = None) -> Bulletin:
    """Rebuild a draft's figures from the data now (or at a new `cutoff`), and its text from them: what
    the office had written is replaced. A signed bulletin goes back to draft."""
    bulletin = _locked(bulletin)
    _require_office(by, bulletin.region, _("重新生成通报数据"))
    _require_status(bulletin, permissions.EDITABLE_BULLETIN, _("重新生成数据"))
    if cutoff is not None:
        if cutoff > timezone.now():
            raise ValidationError({"cutoff": _("统计截止时间不能晚于现在。")})
        bulletin.cutoff = cutoff
    bulletin.figures = _figures(bulletin, by)
    bulletin.sections = bulletins.default_sections(bulletin.figures)
    _back_to_draft(bulletin)
    bulletin.save()
    _event(bulletin, BulletinEventKind.REFRESHED, by)
    return bulletin


@transaction.atomic
def bulletin_edit(*, bulletin: Bulletin, by: Person, title: str | None = None, sections=None) -> Bulletin:
    """The office edits the title and the text before issue; a signed bulletin goes back to draft."""
    bulletin = _locked(bulletin)
    _require_office(by, bulletin.region, _("修改情况通报"))
    _require_status(bulletin, permissions.EDITABLE_BULLETIN, _("修改"))
    if title is not None:
        title = title.strip()
        if not title:
            raise ValidationError({"title": _("请填写标题。")})
        bulletin.title = title
    if sections is not None:
        bulletin.sections = _clean_sections(sections)
    _back_to_draft(bulletin)
    bulletin.full_clean(exclude=["pdf", "docx"])
    bulletin.save()
    _event(bulletin, BulletinEventKind.EDITED, by)
    return bulletin


@transaction.atomic
def bulletin_sign(*, bulletin: Bulletin, by: Person) -> Bulletin:
    """签发: a leader of the region approves the draft for issue."""
    bulletin = _locked(bulletin)
    if not permissions.may_sign_bulletin(by, bulletin.region):
        raise PermissionDenied(_("只有本地区的领导可以签发情况通报。"))
    _require_status(bulletin, [BulletinStatus.DRAFT], _("签发"))
    bulletin.status = BulletinStatus.SIGNED
    bulletin.signed_by = by
    bulletin.signed_at = clock.now()
    bulletin.save()
    _event(bulletin, BulletinEventKind.SIGNED, by)
    return bulletin


def _next_number(region: Unit, kind: str, year: int) -> int:
    # Created once, then locked for the rest of the transaction: concurrent issuers queue here, and a
    # rolled-back issue gives its number back. No gaps, no duplicates.
    BulletinCounter.objects.bulk_create(
        [BulletinCounter(region=region, kind=kind, year=year)], ignore_conflicts=True
    )
    counter = BulletinCounter.objects.select_for_update().get(region=region, kind=kind, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


@transaction.atomic
def bulletin_issue(*, bulletin: Bulletin, by: Person) -> Bulletin:
    """印发: the office issues a signed bulletin. It takes the next number of its region, kind and year,
    is rendered once (PDF and .docx bytes stored: later data changes nothing), and tells every lagging
    unit and the supervision groups covering the region."""
    bulletin = _locked(bulletin)
    _require_office(by, bulletin.region, _("印发情况通报"))
    _require_status(bulletin, [BulletinStatus.SIGNED], _("印发"))
    issued_at = clock.now()
    bulletin.year = timezone.localtime(issued_at).year
    bulletin.number = _next_number(bulletin.region, bulletin.kind, bulletin.year)
    bulletin.status = BulletinStatus.ISSUED
    bulletin.issued_by = by
    bulletin.issued_at = issued_at
    bulletin.save()
    # Rendered from the stored text and figures, with the number and the issue date now known.
    bulletin.pdf = bytes(bulletin_render.bulletin_pdf(bulletin))
    bulletin.docx = bytes(bulletin_render.bulletin_docx(bulletin))
    bulletin.save(update_fields=["pdf", "docx", "updated_at"])
    _event(bulletin, BulletinEventKind.ISSUED, by, note=str(bulletin.number))
    handoffs.notify(
        rule=ReminderRule.BULLETIN_ISSUED,
        key=f"bulletin_issued:b{bulletin.pk}",
        bulletin=bulletin,
        units=bulletins.lagging_unit_ids(bulletin.figures),
        groups=list(groups_covering(bulletin.region).values_list("pk", flat=True)),
        by=by,
    )
    webhooks.bulletin_issued(bulletin)
    return bulletin


@transaction.atomic
def bulletin_discard(*, bulletin: Bulletin, by: Person, reason: str = "") -> Bulletin:
    """作废: a draft (or a signed bulletin not yet issued) is dropped; it never took a number."""
    bulletin = _locked(bulletin)
    _require_office(by, bulletin.region, _("作废情况通报"))
    _require_status(bulletin, permissions.EDITABLE_BULLETIN, _("作废"))
    bulletin.status = BulletinStatus.DISCARDED
    bulletin.save()
    _event(bulletin, BulletinEventKind.DISCARDED, by, note=(reason or "").strip())
    return bulletin
