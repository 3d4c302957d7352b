"""REST API v1 for the foundation's resources.

Each viewset reads through the selectors (scoped to the caller: out of scope answers 404)
and writes through the services (which decide who may act: a visible but forbidden action
answers 403; an impossible one 409). Tasks are never deleted through the API: they are
cancelled, so a sync client sees every change as an update.
"""

import secrets

from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from winteraction.api.etags import IF_MATCH_HEADER, IF_NONE_MATCH_HEADER, ETagMixin
from winteraction.api.filtering import filters_in_words
from winteraction.api.idempotency import IDEMPOTENCY_HEADER, idempotent
from winteraction.api.pagination import PageOrSyncPagination
from winteraction.api.parsers import JSONParser
from winteraction.api.renderers import CSVRenderer, XLSXRenderer
from winteraction.api.throttling import LoginRateThrottle
from winteraction.xlsx import XLSX_TYPE, attachment

from .. import audit, filters, imports, ledger, selectors, services
from ..compiled import ANY_ID, CompiledQueries, statement_key
from ..flags import flags_of
from ..models import (
    ApiToken,
    Attachment,
    AuditKind,
    ExtensionRequest,
    Milestone,
    ProgressReport,
    Task,
    TaskCooperation,
    TaskEvent,
    TaskStatus,
    Unit,
)
from . import serializers as s
from .permissions import ApiAccess, OfficeOnly

# ---- Tasks ------------------------------------------------------------------------------------------


def _valid(serializer_class, request, **kwargs):
    serializer = serializer_class(data=request.data, context={"request": request}, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# A task's JSON (TaskSerializer's fields) is built here from `.values()` rows, for the list, the detail
# and the answers to writes. The list is the API's hot path: through model instances and DRF's fields a
# page of 50 spent ~10 ms making some 400 objects and ~15 ms serializing them field by field, more than
# its queries (docs/benchmarks.md). TaskSerializer stays the declaration: the schema and the CSV
# export use it, tests/benchmarks/test_fast_paths.py holds both to the same output for tasks in every
# state, and a field added to it without being added here fails at import.

COMPILED = CompiledQueries()

TASK_COLUMNS = (
    "id",
    "code",
    "title",
    "description",
    "target",
    "campaign_id",
    "special_action_id",
    "special_action__name",
    "parent_id",
    "lead_unit_id",
    "lead_unit__name",
    "lead_unit__kind",
    "responsible_leader_id",
    "responsible_leader__username",
    "responsible_leader__position",
    "responsible_leader__role",
    "responsible_leader__unit_id",
    "responsible_leader__unit__name",
    "start_date",
    "deadline",
    "original_deadline",
    "priority",
    "progress",
    "rollup_progress",
    "status",
    "returned",
    "closed_at",
    "closed_late",
    "created_at",
    "updated_at",
)


def _leader(row: dict) -> dict | None:
    """PersonRefSerializer's output; the name as Person.__str__ writes it."""
    if row["responsible_leader_id"] is None:
        return None
    position = row["responsible_leader__position"]
    label = position or row["responsible_leader__username"]
    name = (
        f"{row['responsible_leader__unit__name']}{label}"
        if row["responsible_leader__unit_id"] and position
        else label
    )
    return {
        "id": row["responsible_leader_id"],
        "name": name,
        "position": position,
        "role": row["responsible_leader__role"],
    }


def tasks_json(rows: list[dict]) -> list[dict]:
    """TaskSerializer's output for rows of TASK_COLUMNS; their cooperating units in two queries (the
    cooperations, then their units: none without cooperations), in the order they were added; the flags
    worked out in Python (tasks.flags.flags_of: the rules the SQL filters use, held to the same answers).

    Two queries, not one join: for a page of tasks PostgreSQL hashes the whole unit table for the join
    (~3 ms with its planning), where the units by primary key are one index probe each."""
    ids = [row["id"] for row in rows]
    cooperating: dict[int, list[int]] = {}
    units = {}
    if ids:
        pairs = TaskCooperation.objects.filter(task__in=ids).order_by("id").values_list("task_id", "unit_id")
        for task, unit in pairs:
            cooperating.setdefault(task, []).append(unit)
    if cooperating:
        wanted = {unit for found in cooperating.values() for unit in found}
        found = Unit.objects.filter(pk__in=wanted).values_list("id", "name", "kind")
        units = {pk: {"id": pk, "name": name, "kind": kind} for pk, name, kind in found}
    today = timezone.localdate()
    zone = timezone.get_current_timezone()
    labels = {value: str(label) for value, label in TaskStatus.choices}
    return [
        _task_json(row, [units[unit] for unit in cooperating.get(row["id"], ())], today, zone, labels)
        for row in rows
    ]


def _moment(value, zone) -> str | None:
    """A datetime as DRF's DateTimeField writes it: ISO 8601 in the current time zone, Z for UTC."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _task_json(row: dict, cooperating: list[dict], today, zone, labels: dict) -> dict:
    flags = flags_of(row["status"], row["start_date"], row["deadline"], row["progress"], today)
    lead = {"id": row["lead_unit_id"], "name": row["lead_unit__name"], "kind": row["lead_unit__kind"]}
    return {
        "id": row["id"],
        "code": row["code"],
        "title": row["title"],
        "description": row["description"],
        "target": row["target"],
        "campaign": row["campaign_id"],
        "special_action": {"id": row["special_action_id"], "name": row["special_action__name"]},
        "parent": row["parent_id"],
        "lead_unit": lead,
        "cooperating_units": cooperating,
        "responsible_leader": _leader(row),
        "start_date": row["start_date"].isoformat(),
        "deadline": row["deadline"].isoformat(),
        "original_deadline": row["original_deadline"].isoformat() if row["original_deadline"] else None,
        "days_left": (row["deadline"] - today).days,
        "priority": row["priority"],
        "progress": row["progress"],
        "rollup_progress": None if row["rollup_progress"] is None else float(row["rollup_progress"]),
        "status": row["status"],
        "status_display": labels.get(row["status"], row["status"]),
        "returned": bool(row["returned"]),
        **flags,
        "closed_at": _moment(row["closed_at"], zone),
        "closed_late": bool(row["closed_late"]),
        "created_at": _moment(row["created_at"], zone),
        "updated_at": _moment(row["updated_at"], zone),
    }


TASK_JSON_FIELDS = (
    "id code title description target campaign special_action parent lead_unit cooperating_units "
    "responsible_leader start_date deadline original_deadline days_left priority progress rollup_progress "
    "status status_display returned is_overdue is_due_soon is_behind closed_at closed_late created_at updated_at"
).split()
if TASK_JSON_FIELDS != list(s.TaskSerializer.Meta.fields):
    raise RuntimeError("TaskSerializer's fields changed: update tasks_json() and TASK_JSON_FIELDS to match")


@extend_schema_view(
    list=extend_schema(
        summary=_("任务清单"),
        description=_(
            "当前用户可见的任务,可筛选、排序、分页;format=csv 或 format=xlsx 导出全部筛选结果;"
            "sync=true 改用同步游标。"
        ),
    ),
    retrieve=extend_schema(summary=_("任务详情"), parameters=[IF_NONE_MATCH_HEADER]),
)
class TaskViewSet(ETagMixin, viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = s.TaskSerializer
    filterset_class = filters.TaskFilter
    pagination_class = PageOrSyncPagination
    changes_daily = True  # days_left and the flags: the sync cursor's daily re-sync (pagination.py)
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer, XLSXRenderer]

    def get_renderers(self):
        # Spreadsheets are for the list; a task's detail or an action answers in JSON.
        renderers = super().get_renderers()
        if self.action not in ("list", None):  # None: a method nobody routes (405 follows)
            renderers = [r for r in renderers if r.format not in ("csv", "xlsx")]
        return renderers

    def _exporting(self) -> bool:
        renderer = getattr(self.request, "accepted_renderer", None)
        return renderer is not None and renderer.format in ("csv", "xlsx")

    def get_queryset(self):
        # JSON is written from rows (tasks_json), flags included; the CSV's serializer and the ledger
        # (XLSX) read model instances, with the flags annotated and the cooperating units prefetched.
        if not self._exporting():
            return selectors.tasks_visible_to(self.request.user, flags=False)
        if self.request.accepted_renderer.format == "xlsx":
            return ledger.ledger_tasks(selectors.tasks_visible_to(self.request.user))
        cooperations = Prefetch("cooperations", queryset=TaskCooperation.objects.order_by("id"))
        # The lead unit's latest report (最新进展, 存在问题, 下步计划) comes as subqueries of the same statement.
        return selectors.with_lead_report(selectors.tasks_visible_to(self.request.user)).prefetch_related(
            cooperations, "cooperations__unit"
        )

    def get_serializer_class(self):
        return s.TaskExportSerializer if self._exporting() else super().get_serializer_class()

    def _rows(self, queryset=None):
        """`queryset` (by default every task the caller may read) as rows for tasks_json()."""
        return (self.get_queryset() if queryset is None else queryset).values(*TASK_COLUMNS)

    def page_rows(self, page, *, numbered: bool = False) -> list[dict]:
        """A page of the list, as rows (see pagination.page_rows). A numbered page's statement is
        compiled once for the caller's access, the filters as validated, the day and the page's bounds:
        what fixes its SQL (the list's queryset is `filter_queryset(get_queryset())`, sliced)."""
        filterset = getattr(self, "filterset", None)
        if not numbered or self.action != "list" or filterset is None or filterset.errors:
            return list(self._rows(page))
        key = statement_key(
            "task page",
            access=selectors.access_for(self.request.user),
            unit=getattr(self.request.user, "unit_id", None),
            day=timezone.localdate(),
            filters=filterset.form.cleaned_data,
            bounds=(page.query.low_mark, page.query.high_mark),
        )
        return COMPILED.rows(key, lambda: self._rows(page))

    def get_object(self):
        # The detail answers from a row; the other routes on one task need the model instance.
        if self.action != "retrieve":
            return super().get_object()
        if self.request.query_params:  # the list's filters apply to the detail too
            rows = self._rows(self.filter_queryset(self.get_queryset()))
            row = generics.get_object_or_404(rows, pk=self.kwargs["pk"])  # a malformed pk: 404 too
        else:  # the usual case: the statement compiled once for everyone with the caller's access
            row = self._row(self.kwargs["pk"])
        self.check_object_permissions(self.request, row)
        return row

    def _row(self, pk: str) -> dict:
        """The task `pk` as a row, if the caller may read it; 404 otherwise (a malformed pk too)."""
        try:
            pk = int(pk)
        except ValueError:
            raise Http404 from None
        if not 0 < pk < 2**63:
            raise Http404
        key = statement_key(
            "task detail", access=selectors.access_for(self.request.user), day=timezone.localdate()
        )
        found = COMPILED.rows(key, lambda: self._rows().filter(pk=ANY_ID), pk=pk)
        if not found:
            raise Http404
        return found[0]

    def representation(self, task) -> dict:
        """A task (a row, or a model instance to read again) as the API shows it."""
        return tasks_json([task if isinstance(task, dict) else self._fresh(task)])[0]

    def list(self, request, *args, **kwargs):
        if request.accepted_renderer.format == "xlsx":
            return self._ledger(request)
        if request.accepted_renderer.format == "csv":
            data = self.get_serializer(self.filter_queryset(self.get_queryset()), many=True).data
            self._audit_export(request, rows=len(data))
            return Response(data, headers={"Content-Disposition": 'attachment; filename="tasks.csv"'})
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(tasks_json(page))

    def _audit_export(self, request, *, rows: int) -> None:
        audit.record(
            AuditKind.EXPORTED,
            request=request,
            user=request.user,
            format=request.accepted_renderer.format,
            rows=rows,
            filters={k: v for k, v in request.query_params.items() if k != "format"},
        )

    def _ledger(self, request) -> Response:
        """推进台账: the filtered list as the office's ledger workbook (tasks.ledger), named after its
        campaign and the day."""
        tasks = list(self.filter_queryset(self.get_queryset()))
        filterset = getattr(self, "filterset", None)
        named = filterset.form.cleaned_data.get("campaign") if filterset is not None else None
        only = None
        if named is None and not tasks:  # an empty list: still the caller's campaign, if only one
            campaigns = list(selectors.campaigns_visible_to(request.user)[:2])
            only = campaigns[0] if len(campaigns) == 1 else None
        name = ledger.campaign_name(tasks, named=named, only=only)
        today = timezone.localdate()
        words = filters_in_words(filterset, request.query_params, skip=("campaign", "ordering"))
        body = ledger.workbook(tasks, campaign_name=name, today=today, filters=words)
        self._audit_export(request, rows=len(tasks))
        disposition = attachment(ledger.filename(name, today), fallback=ledger.ascii_filename(today))
        return Response(body, headers={"Content-Disposition": disposition})

    def _task(self) -> Task:
        """The task of a detail route: 404 outside the caller's scope."""
        return self.get_object()

    def _fresh(self, task: Task) -> dict:
        return self._rows().get(pk=task.pk)

    def _write(self, request, call, *, status_code=status.HTTP_200_OK):
        """Lock the task, run the service, answer with the updated task (If-Match: ETagMixin)."""
        task = self._task()
        with transaction.atomic():
            locked = self.get_queryset().select_for_update(of=("self",)).get(pk=task.pk)
            call(locked)
        return self.respond(self._fresh(task), status_code)

    @extend_schema(summary=_("下达任务"), request=s.TaskCreateSerializer, responses={201: s.TaskSerializer})
    def create(self, request, *args, **kwargs):
        data = _valid(s.TaskCreateSerializer, request)
        data["cooperating_units"] = data.get("cooperating_units", [])
        task = services.task_create(by=request.user, **data)
        return self.respond(self._fresh(task), status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("修改任务或调整责任"),
        request=s.TaskUpdateSerializer,
        responses={200: s.TaskSerializer},
        parameters=[IF_MATCH_HEADER],
    )
    def partial_update(self, request, *args, **kwargs):
        data = _valid(s.TaskUpdateSerializer, request, partial=True)
        content = {k: data[k] for k in ("title", "description", "target", "priority") if k in data}
        assignment = {
            k: data[k] for k in ("lead_unit", "cooperating_units", "responsible_leader") if k in data
        }

        def call(task):
            if content:
                services.task_update(task=task, by=request.user, **content)
            if assignment:
                services.task_assign(task=task, by=request.user, note=data.get("note", ""), **assignment)

        return self._write(request, call)

    # -- actions on one task

    @extend_schema(
        methods=["POST"],
        summary=_("填报进度"),
        description=_("牵头单位或配合单位填报进度,可附佐证材料(multipart)。只有牵头单位的进度计入任务进度。"),
        request={
            "multipart/form-data": s.ProgressReportCreateSerializer,
            "application/json": s.ProgressReportCreateSerializer,
        },
        responses={201: s.ProgressReportSerializer},
        parameters=[IDEMPOTENCY_HEADER, IF_MATCH_HEADER],
    )
    @extend_schema(
        methods=["GET"], summary=_("任务的进度填报记录"), responses=s.ProgressReportSerializer(many=True)
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="progress-reports",
        pagination_class=None,
        filterset_class=None,
        parser_classes=[MultiPartParser, JSONParser],  # photos from a phone
    )
    def progress_reports(self, request, pk=None):
        task = self._task()
        if request.method == "GET":
            reports = task.progress_reports.select_related("unit", "submitted_by__unit").prefetch_related(
                "attachments__uploaded_by__unit"
            )
            return Response(s.ProgressReportSerializer(reports, many=True, context={"request": request}).data)
        data = _valid(s.ProgressReportCreateSerializer, request)
        data["attachments"] = request.FILES.getlist("attachments") or data.get("attachments", [])

        def write():
            report = services.progress_report(task=task, by=request.user, **data)
            report = ProgressReport.objects.select_related("unit", "submitted_by__unit").get(pk=report.pk)
            body = s.ProgressReportSerializer(report, context={"request": request}).data
            return Response(body, status=status.HTTP_201_CREATED)

        return idempotent(request, write)

    @extend_schema(
        summary=_("申请销号"),
        request=s.NoteSerializer,
        responses=s.TaskSerializer,
        parameters=[IF_MATCH_HEADER],
    )
    @action(detail=True, methods=["post"], url_path="request-close")
    def request_close(self, request, pk=None):
        note = _valid(s.NoteSerializer, request).get("note", "")
        return self._write(
            request, lambda task: services.task_request_close(task=task, by=request.user, note=note)
        )

    @extend_schema(
        summary=_("销号"), request=s.NoteSerializer, responses=s.TaskSerializer, parameters=[IF_MATCH_HEADER]
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        note = _valid(s.NoteSerializer, request).get("note", "")
        return self._write(request, lambda task: services.task_close(task=task, by=request.user, note=note))

    @extend_schema(
        summary=_("退回销号申请"),
        request=s.ReasonSerializer,
        responses=s.TaskSerializer,
        parameters=[IF_MATCH_HEADER],
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        reason = _valid(s.ReasonSerializer, request)["reason"]
        return self._write(
            request, lambda task: services.task_return(task=task, by=request.user, reason=reason)
        )

    @extend_schema(
        summary=_("撤销任务"),
        request=s.ReasonSerializer,
        responses=s.TaskSerializer,
        parameters=[IF_MATCH_HEADER],
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        reason = _valid(s.ReasonSerializer, request)["reason"]
        return self._write(
            request, lambda task: services.task_cancel(task=task, by=request.user, reason=reason)
        )

    @extend_schema(
        methods=["POST"],
        summary=_("申请延期"),
        request=s.ExtensionRequestCreateSerializer,
        responses={201: s.ExtensionRequestSerializer},
        parameters=[IF_MATCH_HEADER],
    )
    @extend_schema(
        methods=["GET"], summary=_("任务的延期申请"), responses=s.ExtensionRequestSerializer(many=True)
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="extension-requests",
        pagination_class=None,
        filterset_class=None,
    )
    def extension_requests(self, request, pk=None):
        task = self._task()
        if request.method == "GET":
            rows = task.extension_requests.select_related("requested_by__unit", "decided_by__unit")
            return Response(s.ExtensionRequestSerializer(rows, many=True).data)
        data = _valid(s.ExtensionRequestCreateSerializer, request)
        extension = services.extension_request(task=task, by=request.user, **data)
        return Response(s.ExtensionRequestSerializer(extension).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["POST"],
        summary=_("领导批示"),
        request=s.InstructionSerializer,
        responses={201: s.InstructionSerializer},
        parameters=[IF_MATCH_HEADER],
    )
    @extend_schema(methods=["GET"], summary=_("任务的领导批示"), responses=s.InstructionSerializer(many=True))
    @action(detail=True, methods=["get", "post"], pagination_class=None, filterset_class=None)
    def instructions(self, request, pk=None):
        task = self._task()
        if request.method == "GET":
            rows = task.instructions.select_related("leader__unit")
            return Response(s.InstructionSerializer(rows, many=True).data)
        text = _valid(s.InstructionSerializer, request)["text"]
        instruction = services.instruction_write(task=task, by=request.user, text=text)
        return Response(s.InstructionSerializer(instruction).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary=_("任务动态(时间线)"), responses=s.TaskEventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def timeline(self, request, pk=None):
        events = (
            TaskEvent.objects.filter(task=self._task()).select_related("actor__unit").order_by("at", "id")
        )
        return Response(s.TaskEventSerializer(events, many=True).data)


# ---- Rows that hang off a task -------------------------------------------------------------------------------


class TaskRowViewSet(viewsets.ReadOnlyModelViewSet):
    model = None
    related = ()

    def get_queryset(self):
        return selectors.task_rows_visible_to(self.request.user, self.model).select_related(*self.related)


@extend_schema_view(
    list=extend_schema(summary=_("节点清单")),
    retrieve=extend_schema(summary=_("节点详情"), parameters=[IF_NONE_MATCH_HEADER]),
)
class MilestoneViewSet(ETagMixin, mixins.CreateModelMixin, TaskRowViewSet):
    model = Milestone
    related = ("completed_by__unit",)
    serializer_class = s.MilestoneSerializer
    filterset_class = filters.MilestoneFilter

    def get_queryset(self):
        return super().get_queryset().order_by("due_date", "id")

    @extend_schema(
        summary=_("设置节点"), request=s.MilestoneSerializer, responses={201: s.MilestoneSerializer}
    )
    def create(self, request, *args, **kwargs):
        data = _valid(s.MilestoneSerializer, request)
        task = selectors.task_get_for(request.user, data["task"].pk)
        milestone = services.milestone_add(
            task=task, by=request.user, title=data["title"], due_date=data["due_date"]
        )
        return self.respond(milestone, status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("确认节点完成"),
        request=s.MilestoneCompleteSerializer,
        responses=s.MilestoneSerializer,
        parameters=[IF_MATCH_HEADER],
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        milestone = self.get_object()
        done_on = _valid(s.MilestoneCompleteSerializer, request).get("done_on")
        with transaction.atomic():
            locked = self.get_queryset().select_for_update(of=("self",)).get(pk=milestone.pk)
            services.milestone_complete(milestone=locked, by=request.user, done_on=done_on)
        return self.respond(self.get_queryset().get(pk=milestone.pk))


@extend_schema_view(
    list=extend_schema(summary=_("进度填报记录")), retrieve=extend_schema(summary=_("进度填报详情"))
)
class ProgressReportViewSet(TaskRowViewSet):
    model = ProgressReport
    related = ("unit", "submitted_by__unit")
    serializer_class = s.ProgressReportSerializer
    filterset_class = filters.ProgressReportFilter

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .prefetch_related("attachments__uploaded_by__unit")
            .order_by("-submitted_at", "-id")
        )


@extend_schema_view(
    list=extend_schema(summary=_("佐证材料清单")), retrieve=extend_schema(summary=_("佐证材料详情"))
)
class AttachmentViewSet(mixins.CreateModelMixin, TaskRowViewSet):
    model = Attachment
    related = ("uploaded_by__unit",)
    serializer_class = s.AttachmentSerializer
    filterset_class = filters.AttachmentFilter
    parser_classes = [MultiPartParser]

    def get_queryset(self):
        return super().get_queryset().order_by("uploaded_at", "id")

    @extend_schema(
        summary=_("上传佐证材料"),
        request={"multipart/form-data": s.AttachmentCreateSerializer},
        responses={201: s.AttachmentSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    def create(self, request, *args, **kwargs):
        data = _valid(s.AttachmentCreateSerializer, request)
        task = data["task"]

        def write():
            attachment = services.attachment_add(task=task, by=request.user, file=data["file"])
            body = s.AttachmentSerializer(attachment, context={"request": request}).data
            return Response(body, status=status.HTTP_201_CREATED)

        return idempotent(request, write)

    @extend_schema(summary=_("下载佐证材料"), responses={(200, "*/*"): bytes})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        attachment = self.get_object()
        return FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.original_name,
            content_type=attachment.content_type,
        )


@extend_schema_view(
    list=extend_schema(summary=_("延期申请清单")), retrieve=extend_schema(summary=_("延期申请详情"))
)
class ExtensionRequestViewSet(TaskRowViewSet):
    model = ExtensionRequest
    related = ("requested_by__unit", "decided_by__unit")
    serializer_class = s.ExtensionRequestSerializer
    filterset_class = filters.ExtensionRequestFilter

    def get_queryset(self):
        return super().get_queryset().order_by("-requested_at", "-id")

    def _decide(self, request, approve: bool):
        extension = self.get_object()
        reason = _valid(s.ExtensionDecisionSerializer, request).get("reason", "")
        services.extension_decide(extension=extension, by=request.user, approve=approve, reason=reason)
        return Response(self.get_serializer(self.get_queryset().get(pk=extension.pk)).data)

    @extend_schema(
        summary=_("批准延期"), request=s.ExtensionDecisionSerializer, responses=s.ExtensionRequestSerializer
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, True)

    @extend_schema(
        summary=_("驳回延期"),
        description=_("驳回时必须填写理由。"),
        request=s.ReasonSerializer,
        responses=s.ExtensionRequestSerializer,
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, False)


# ---- Units, people, campaigns -------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=_("单位清单(树)")), retrieve=extend_schema(summary=_("单位详情"))
)
class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.UnitSerializer
    filterset_class = filters.UnitFilter

    def get_queryset(self):
        return selectors.units_visible_to(self.request.user).order_by("path")


@extend_schema_view(list=extend_schema(summary=_("人员清单")), retrieve=extend_schema(summary=_("人员详情")))
class PersonViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.PersonSerializer
    filterset_class = filters.PersonFilter

    def get_queryset(self):
        return selectors.people_visible_to(self.request.user).order_by("unit__path", "id")


@extend_schema_view(
    list=extend_schema(summary=_("冬季行动清单")),
    retrieve=extend_schema(summary=_("冬季行动详情")),
    create=extend_schema(summary=_("发起冬季行动")),
)
class CampaignViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.CampaignSerializer
    filterset_class = filters.CampaignFilter

    def get_queryset(self):
        return selectors.campaigns_visible_to(self.request.user).order_by("-start_date", "id")

    def perform_create(self, serializer):
        serializer.instance = services.campaign_create(by=self.request.user, **serializer.validated_data)


@extend_schema_view(
    list=extend_schema(summary=_("专项行动清单")),
    retrieve=extend_schema(summary=_("专项行动详情")),
    create=extend_schema(summary=_("设立专项行动")),
)
class SpecialActionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.SpecialActionSerializer
    filterset_class = filters.SpecialActionFilter

    def get_queryset(self):
        return selectors.special_actions_visible_to(self.request.user).order_by(
            "campaign", "sort_order", "id"
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        campaign = get_object_or_404(
            selectors.campaigns_visible_to(self.request.user), pk=data.pop("campaign").pk
        )
        serializer.instance = services.special_action_create(campaign=campaign, by=self.request.user, **data)


# ---- Imports ---------------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=_("导入批次清单"), description=_("当前督查室上传过的任务清单,不含逐行预览。")),
    retrieve=extend_schema(summary=_("导入批次详情(预览)")),
)
class ImportBatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Upload a task list (清单.xlsx), read its preview, then commit it: only the supervision office."""

    permission_classes = [ApiAccess, OfficeOnly]
    parser_classes = [MultiPartParser, JSONParser]

    def get_queryset(self):
        batches = selectors.imports_visible_to(self.request.user).order_by("-uploaded_at", "-id")
        return batches.defer("content", "preview") if self.action == "list" else batches.defer("content")

    def get_serializer_class(self):
        return s.ImportBatchSerializer if self.action == "list" else s.ImportBatchDetailSerializer

    @extend_schema(
        summary=_("上传任务清单并预览"),
        description=_(
            "上传 .xlsx 任务清单,逐行给出将新建、修改、不变或有问题的任务;此时不写入任何任务。"
            "文件过大、行数过多或不是有效的 .xlsx 时返回 400。"
        ),
        request={"multipart/form-data": s.ImportCreateSerializer},
        responses={201: s.ImportBatchDetailSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = _valid(s.ImportCreateSerializer, request)
        batch = imports.import_preview(campaign=data["campaign"], file=data["file"], by=request.user)
        body = s.ImportBatchDetailSerializer(batch, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("确认导入"),
        description=_("按上传的文件重新核对后一次性写入;有任何问题或已经导入过时返回 400。"),
        request=None,
        responses=s.ImportBatchDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        batch = imports.import_commit(batch=self.get_object(), by=request.user)
        return Response(s.ImportBatchDetailSerializer(batch, context={"request": request}).data)

    @extend_schema(
        summary=_("下载任务清单模板"),
        description=_("带下拉列表(专项行动、单位、责任领导)的空白清单。"),
        parameters=[
            OpenApiParameter("campaign", int, required=True, description=_("冬季行动的 id。")),
        ],
        responses={(200, XLSX_TYPE): OpenApiTypes.BINARY},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def template(self, request):
        query = s.ImportTemplateQuerySerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        campaign = query.validated_data["campaign"]
        content = imports.template_workbook(campaign=campaign, by=request.user)
        response = HttpResponse(content, content_type=XLSX_TYPE)
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=imports.template_filename(campaign)
        )
        return response


class MeView(APIView):
    @extend_schema(summary=_("当前用户"), responses=s.MeSerializer)
    def get(self, request):
        user = request.user
        data = s.MeSerializer(user).data
        region = selectors.access_for(user).region
        data["home_region"] = s.UnitRefSerializer(region).data if region else None
        return Response(data)


# ---- Tokens ----------------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=_("我的 API 令牌")),
    retrieve=extend_schema(summary=_("API 令牌详情")),
)
class ApiTokenViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.ApiTokenSerializer
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return ApiToken.objects.none()
        return ApiToken.objects.filter(user=self.request.user).order_by("-created_at", "-id")

    @extend_schema(
        summary=_("创建 API 令牌"),
        description=_("返回的 token 只显示这一次,请妥善保存。"),
        request=s.ApiTokenSerializer,
        responses={201: s.NewApiTokenSerializer},
    )
    def create(self, request):
        data = _valid(s.ApiTokenSerializer, request)
        token, plain = services.token_create(user=request.user, by=request.user, **data)
        body = s.ApiTokenSerializer(token).data
        return Response({**body, "token": plain}, status=status.HTTP_201_CREATED)

    @extend_schema(summary=_("吊销 API 令牌"), request=None, responses=s.ApiTokenSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = services.token_revoke(token=self.get_object(), by=request.user)
        return Response(s.ApiTokenSerializer(token).data)


class PasswordTokenView(APIView):
    """Trade a username and password for a new token (for scripts); rate-limited per address."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]

    @extend_schema(
        summary=_("用用户名和密码换取新令牌"),
        description=_("供脚本使用:用户名和密码正确时返回一个新令牌(只显示这一次);按来源地址限制频率。"),
        request=s.PasswordTokenRequestSerializer,
        responses={201: s.NewApiTokenSerializer},
        auth=[],
    )
    def post(self, request):
        data = _valid(s.PasswordTokenRequestSerializer, request)
        user = authenticate(request, username=data["username"], password=data["password"])
        if user is None:
            raise exceptions.ValidationError({"non_field_errors": [_("用户名或密码不正确。")]})
        name = data.get("name") or _("脚本令牌 %(suffix)s") % {"suffix": secrets.token_hex(3)}
        token, plain = services.token_create(
            user=user,
            by=user,
            name=name,
            read_only=data.get("read_only", False),
            expires_at=data.get("expires_at"),
        )
        return Response({**s.ApiTokenSerializer(token).data, "token": plain}, status=status.HTTP_201_CREATED)
