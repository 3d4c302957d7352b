"""Inspections (督查): a group records a visit or a review, with its findings and the photos and
documents taken on the spot.

Evidence files are checked by tasks.evidence (type from the content, size and count limits) before
anything is written, and stored last: a refusal changes nothing, in the database or on disk.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tasks import evidence
from tasks.models import Person, Task, Unit
from tasks.services import require_text

from ..models import Finding, Inspection, InspectionKind, SupervisionAttachment, SupervisionGroup
from .groups import require_in_scope, require_member, require_task_in_scope


def checked_files(files, field: str) -> list[evidence.CheckedUpload]:
    """Every file checked before anything is written; the errors under the caller's field name."""
    try:
        return evidence.validate_uploads(list(files or ()))
    except ValidationError as exc:
        errors = [error for errors in exc.error_dict.values() for error in errors]  # codes kept
        raise ValidationError({field: errors}) from None


def store_evidence(checked, by: Person, **owner) -> list[SupervisionAttachment]:
    """Store checked files on their owner (an inspection, or an order and its event), photos with
    their thumbnail and web copy. Called last in its transaction, after every check has passed."""
    return evidence.store(checked, SupervisionAttachment, by=by, **owner)


@transaction.atomic
def inspection_record(
    *,
    group: SupervisionGroup,
    by: Person,
    kind: str,
    date,
    summary: str,
    units: Iterable[Unit] = (),
    tasks: Iterable[Task] = (),
    findings: Iterable[dict] = (),
    photos: Iterable = (),
) -> Inspection:
    """A group records an inspection; `findings` are dicts of unit, text and optionally task;
    `photos` are the photos and documents taken on the spot (现场照片)."""
    require_member(by, group, _("记录督查"))
    if kind not in InspectionKind.values:
        raise ValidationError({"kind": _("未知的督查方式。")})
    if date > timezone.localdate():
        raise ValidationError({"date": _("督查日期不能晚于今天。")})
    units = list(dict.fromkeys(units))
    for unit in units:
        require_in_scope(group, unit, "units")
    tasks = list(dict.fromkeys(tasks))
    for task in tasks:
        require_task_in_scope(group, task, "tasks")
    rows = []
    for item in findings:
        require_in_scope(group, item["unit"], "findings")
        if item.get("task") is not None:
            require_task_in_scope(group, item["task"], "findings")
        text = require_text(item.get("text"), "findings", _("发现问题"))
        rows.append(Finding(unit=item["unit"], task=item.get("task"), text=text))
    checked = checked_files(photos, "photos")
    inspection = Inspection(group=group, kind=kind, date=date, summary=(summary or "").strip(), created_by=by)
    inspection.full_clean()
    inspection.save()
    inspection.units_visited.set(units)
    inspection.tasks_checked.set(tasks)
    for finding in rows:
        finding.inspection = inspection
        finding.full_clean()
        finding.save()
    store_evidence(checked, by, inspection=inspection)
    return inspection
