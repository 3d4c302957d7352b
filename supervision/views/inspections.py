"""督查 pages for inspectors: my groups, inspections (record one with photos from a phone, read one, turn
a finding into a 督办单 in one step), a new 督办单, and the checked downloads of supervision evidence.

Who may do what is decided in the querysets: the groups I may act for are `selectors.acting_groups`
(the active groups I belong to), every choice a form offers lies inside the chosen group's scope
(`selectors.Scope`), and the services check again. A POST for a group I do not belong to is a 403, a
row I may not see a 404. The forms are in supervision/forms.py.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tasks import evidence
from tasks.models import Role, Task, Unit, UnitKind
from tasks.page_forms import reselect_hint
from tasks.services import InvalidTransition
from winteraction.parsing import whole_number

from .. import permissions, services
from ..filters import InspectionFilter
from ..forms import (
    MAX_FINDINGS,
    FindingForm,
    FindingFormSet,
    InspectionForm,
    OrderForm,
    OrderNewForm,
    add_service_errors,
    mark_invalid,
)
from ..models import SupervisionAttachment, SupervisionGroup
from ..selectors import (
    acting_groups,
    attachments_visible_to,
    findings_visible_to,
    groups_visible_to,
    inspections_visible_to,
    open_orders,
    scope_of,
)

INSPECTIONS_PER_PAGE = 50

# ---- Groups and their scopes ----------------------------------------------------------------------


def _pick(groups: list[SupervisionGroup], value) -> SupervisionGroup | None:
    pk = whole_number(value)
    if pk is None:
        return None
    return next((group for group in groups if group.pk == pk), None)


def _posted_group(request, groups: list[SupervisionGroup]) -> SupervisionGroup:
    """The group a POST acts for: one of mine, or the request is refused (a forged id is a 403)."""
    group = _pick(groups, request.POST.get("group"))
    if group is None:
        raise PermissionDenied(_("只有督导检查组的成员可以办理。"))
    return group


def _dashboard_url(group: SupervisionGroup) -> str:
    """The 驾驶舱 filtered to the group's scope, where the dashboard can filter to it (one county)."""
    scope = list(group.scope_units.all())
    url = reverse("dashboard")
    if len(scope) == 1 and scope[0].kind == UnitKind.COUNTY:
        url += "?" + urlencode({"county": scope[0].pk})
    return url


# ---- My groups -------------------------------------------------------------------------------------


@require_GET
@login_required
def group_list(request):
    """我的督导组: the groups I belong to; the office and leaders see every group of their region."""
    user = request.user
    if user.is_superuser or user.role in (Role.OFFICE, Role.LEADER):
        groups = groups_visible_to(user)
    else:
        groups = SupervisionGroup.objects.filter(members=user)
    # Counted over what this user may see: a group's work elsewhere stays out of the figures.
    visible_inspections = inspections_visible_to(user).values("pk")
    open_ones = open_orders(user).values("pk")
    groups = (
        groups.select_related("issuing_unit", "leader__unit")
        .prefetch_related("scope_units", "scope_special_actions", "members__unit")
        .annotate(
            inspection_count=Count(
                "inspections", filter=Q(inspections__in=visible_inspections), distinct=True
            ),
            open_order_count=Count("orders", filter=Q(orders__in=open_ones), distinct=True),
        )
        .order_by("issuing_unit__path", "name")
    )
    mine = set(acting_groups(user).values_list("pk", flat=True))
    rows = [
        {"group": group, "acting": group.pk in mine, "dashboard_url": _dashboard_url(group)}
        for group in groups
    ]
    return render(
        request,
        "supervision/group_list.html",
        {"rows": rows, "acting": bool(mine), "nav_section": "supervision"},
    )


# ---- Inspections -----------------------------------------------------------------------------------


@require_GET
@login_required
def inspection_list(request):
    """The inspections I may see, filtered as the API filters them (InspectionFilter: ?group=, ?kind=,
    ?date_after=, ?date_before=); a value that does not parse is ignored, not an error page."""
    filtered = InspectionFilter(request.GET, queryset=inspections_visible_to(request.user))
    inspections = filtered.qs.annotate(photo_count=Count("attachments", distinct=True))
    page = Paginator(inspections, INSPECTIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/inspection_list.html",
        {
            "page": page,
            "inspections": page.object_list,
            "filter": filtered,
            "acting": acting_groups(request.user).exists(),
            "nav_section": "supervision",
        },
    )


def _groups_or_403(user) -> list[SupervisionGroup]:
    groups = list(acting_groups(user))
    if not groups:
        raise PermissionDenied(_("只有督导检查组的成员可以记录督查和下发督办单。"))
    return groups


@require_http_methods(["GET", "POST"])
@login_required
def inspection_new(request):
    """记录督查: on a phone, on the spot. Errors come back on the form; nothing is saved until all is good."""
    groups = _groups_or_403(request.user)
    if request.method == "POST":
        group = _posted_group(request, groups)
        scope = scope_of(group)
        form = InspectionForm(request.POST, request.FILES, groups=groups, scope=scope)
        findings = FindingFormSet(request.POST, prefix="findings", form_kwargs={"scope": scope})
        if form.is_valid() and findings.is_valid():
            data = form.cleaned_data
            try:
                inspection = services.inspection_record(
                    group=group,
                    by=request.user,
                    kind=data["kind"],
                    date=data["date"],
                    summary=data["summary"],
                    units=[scope.units[pk] for pk in data["units"]],
                    tasks=[scope.tasks[pk] for pk in data["tasks"]],
                    findings=[
                        {
                            "unit": scope.units[row["unit"]],
                            "task": scope.tasks[row["task"]] if row.get("task") else None,
                            "text": row["text"],
                        }
                        for row in findings.cleaned_data
                        if row
                    ],
                    photos=data.get("photos") or [],
                )
            except ValidationError as exc:
                add_service_errors(form, exc, rename={"findings": None})
            else:
                messages.success(request, _("督查记录已保存。"))
                return redirect("inspection-detail", pk=inspection.pk)
        if request.FILES and "photos" not in form.errors:
            form.add_error("photos", reselect_hint())  # files never survive a failed submission
        mark_invalid(form)
    else:
        group = _pick(groups, request.GET.get("group")) or groups[0]
        scope = scope_of(group)
        form = InspectionForm(
            groups=groups, scope=scope, initial={"group": group.pk, "date": timezone.localdate()}
        )
        findings = FindingFormSet(prefix="findings", form_kwargs={"scope": scope})
    return render(
        request,
        "supervision/inspection_new.html",
        {"form": form, "findings": findings, "scope": scope, "nav_section": "supervision"},
    )


@require_GET
@login_required
def inspection_finding_row(request):
    """One more empty findings row (htmx "add a row"), numbered `index`, in the chosen group's scope."""
    groups = _groups_or_403(request.user)
    group = _pick(groups, request.GET.get("group")) or groups[0]
    index = whole_number(request.GET.get("index"))
    if index is None:
        raise Http404
    index = min(index, MAX_FINDINGS - 1)
    # As the formset builds an extra row: its prefix, blank allowed, no `required` in the HTML.
    form = FindingForm(
        prefix=f"findings-{index}", scope=scope_of(group), empty_permitted=True, use_required_attribute=False
    )
    return render(
        request,
        "supervision/inspection_finding_row.html",
        {"row": form, "next_index": index + 1, "max_rows": MAX_FINDINGS, "group_id": group.pk},
    )


def _evidence_groups(attachments) -> tuple[list, list]:
    """Photos (with their copies) and documents, in upload order."""
    photos = [a for a in attachments if a.thumbnail]
    documents = [a for a in attachments if not a.thumbnail]
    return photos, documents


def _inspection_context(request, inspection, group, bound: dict | None = None) -> dict:
    """The inspection page. `group` is the inspection's group when I may act for it (else None);
    `bound` holds a failed "转为督办单" form by finding id."""
    bound = bound or {}
    findings = list(inspection.findings.all())
    open_findings = [f for f in findings if not hasattr(f, "order")]
    forms_by_finding = {}
    if group is not None and open_findings:
        scope = scope_of(group, with_tasks=False)
        for finding in open_findings:
            forms_by_finding[finding.pk] = bound.get(finding.pk) or OrderForm(
                prefix=f"finding-{finding.pk}", scope=scope, initial={"problem": finding.text}
            )
    rows = [
        {
            "finding": finding,
            "order": getattr(finding, "order", None),
            "form": forms_by_finding.get(finding.pk),
            "open": finding.pk in bound,
        }
        for finding in findings
    ]
    photos, documents = _evidence_groups(SupervisionAttachment.objects.filter(inspection=inspection))
    return {
        "inspection": inspection,
        "rows": rows,
        "photos": photos,
        "documents": documents,
        "evidence_count": len(photos) + len(documents),
        "acting": group is not None,
        "nav_section": "supervision",
    }


@require_GET
@login_required
def inspection_detail(request, pk):
    inspection = get_object_or_404(inspections_visible_to(request.user), pk=pk)
    group = acting_groups(request.user).filter(pk=inspection.group_id).first()
    return render(
        request, "supervision/inspection_detail.html", _inspection_context(request, inspection, group)
    )


@require_POST
@login_required
def finding_issue_order(request, pk):
    """转为督办单: a member of the inspection's group issues the finding to its unit, in one step."""
    finding = get_object_or_404(findings_visible_to(request.user), pk=pk)
    group = acting_groups(request.user).filter(pk=finding.inspection.group_id).first()
    if group is None:
        raise PermissionDenied(
            _("只有%(group)s的成员可以下发督办单。") % {"group": finding.inspection.group.name}
        )
    if hasattr(finding, "order"):
        messages.error(request, _("这个问题已经下发过督办单。"))
        return redirect("inspection-detail", pk=finding.inspection_id)
    form = OrderForm(request.POST, prefix=f"finding-{finding.pk}", scope=scope_of(group, with_tasks=False))
    if form.is_valid():
        try:
            order = services.order_issue(
                group=group, by=request.user, unit=finding.unit, finding=finding, **form.order_arguments()
            )
        except InvalidTransition as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("inspection-detail", pk=finding.inspection_id)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已下发督办单 %(number)s。") % {"number": order.number})
            return redirect("order-detail", pk=order.pk)
    mark_invalid(form)
    inspection = get_object_or_404(inspections_visible_to(request.user), pk=finding.inspection_id)
    context = _inspection_context(request, inspection, group, bound={finding.pk: form})
    return render(request, "supervision/inspection_detail.html", context)


# ---- A new 督办单 ---------------------------------------------------------------------------------------


def _group_for_unit(groups: list[SupervisionGroup], unit_id) -> SupervisionGroup | None:
    unit = Unit.objects.filter(pk=unit_id).only("path").first() if unit_id else None
    if unit is None:
        return None
    return next((g for g in groups if permissions.in_group_scope(g, unit)), None)


def _int(value):
    return whole_number(value)


@require_http_methods(["GET", "POST"])
@login_required
def order_new(request):
    """下发督办单 directly (not from a finding): `?unit=&task=` fill in the unit and the task."""
    groups = _groups_or_403(request.user)
    if request.method == "POST":
        group = _posted_group(request, groups)
        scope = scope_of(group)
        form = OrderNewForm(request.POST, groups=groups, scope=scope)
        if form.is_valid():
            try:
                order = services.order_issue(by=request.user, **form.order_arguments())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("已下发督办单 %(number)s。") % {"number": order.number})
                return redirect("order-detail", pk=order.pk)
        mark_invalid(form)
    else:
        unit_id, task_id = _int(request.GET.get("unit")), _int(request.GET.get("task"))
        if unit_id is None and task_id is not None:
            unit_id = Task.objects.filter(pk=task_id).values_list("lead_unit", flat=True).first()
        group = _pick(groups, request.GET.get("group")) or _group_for_unit(groups, unit_id) or groups[0]
        scope = scope_of(group)
        initial = {"group": group.pk}
        if unit_id in scope.units:
            initial["unit"] = unit_id
        if task_id in scope.tasks:
            initial["tasks"] = [task_id]
        form = OrderNewForm(groups=groups, scope=scope, initial=initial)
    return render(
        request, "supervision/order_new.html", {"form": form, "scope": scope, "nav_section": "supervision"}
    )


# ---- Evidence downloads -----------------------------------------------------------------------------


def _serve(request, pk, which: str):
    """A stored file, to those who may see its inspection or order (404 otherwise, as for one that
    does not exist). Never a link into /media: the check is the point."""
    attachment = attachments_visible_to(request.user).filter(pk=pk).first()
    if attachment is None:
        raise Http404
    return evidence.serve(attachment, which)


@require_GET
@login_required
def evidence_download(request, pk):
    return _serve(request, pk, "file")


@require_GET
@login_required
def evidence_thumbnail(request, pk):
    return _serve(request, pk, "thumbnail")


@require_GET
@login_required
def evidence_web(request, pk):
    return _serve(request, pk, "web_copy")


urlpatterns = [
    path("supervision/groups/", group_list, name="supervision-groups"),
    path("supervision/inspections/", inspection_list, name="inspection-list"),
    path("supervision/inspections/new/", inspection_new, name="inspection-new"),
    path("supervision/inspections/new/finding-row/", inspection_finding_row, name="inspection-finding-row"),
    path("supervision/inspections/<int:pk>/", inspection_detail, name="inspection-detail"),
    path("supervision/findings/<int:pk>/issue-order/", finding_issue_order, name="finding-issue-order"),
    path("supervision/orders/new/", order_new, name="order-new"),
    path("supervision/evidence/<int:pk>/download/", evidence_download, name="evidence-download"),
    path("supervision/evidence/<int:pk>/thumbnail/", evidence_thumbnail, name="evidence-thumbnail"),
    path("supervision/evidence/<int:pk>/web/", evidence_web, name="evidence-web"),
]
