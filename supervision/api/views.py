"""REST API v1 for supervision: groups, inspections, findings and supervision orders.

As in tasks/api/views.py: reads go through the selectors (out of scope answers 404, like a row that
does not exist); writes go through the services, which decide who may act (403) and which step the
order's status allows (409 `invalid_transition`).
"""

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from tasks.api.serializers import NoteSerializer, ReasonSerializer
from winteraction.api.etags import IF_MATCH_HEADER, IF_NONE_MATCH_HEADER, ETagMixin
from winteraction.api.parsers import JSONParser

from .. import selectors, services
from ..filters import InspectionFilter, SupervisionGroupFilter, SupervisionOrderFilter
from ..models import SupervisionAttachment, SupervisionGroup, SupervisionOrder
from . import serializers as s


def _valid(serializer_class, request):
    serializer = serializer_class(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _files(request, data, name: str) -> list:
    """Evidence files of a multipart request (several under one name); none from a JSON body."""
    return request.FILES.getlist(name) or list(data.get(name) or [])


def _evidence_prefetch() -> Prefetch:
    return Prefetch(
        "attachments",
        queryset=SupervisionAttachment.objects.select_related("uploaded_by__unit").order_by(
            "uploaded_at", "id"
        ),
    )


# Photos come from a phone: multipart; JSON stays for everything without files.
EVIDENCE_PARSERS = [MultiPartParser, JSONParser]


# ---- Groups -------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary=_("督导检查组清单"),
        description=_("当前用户所在地区派出或督导的检查组,以及本人所在的检查组。"),
    ),
    retrieve=extend_schema(summary=_("督导检查组详情"), description=_("检查组的组长、成员和督导范围。")),
)
class SupervisionGroupViewSet(viewsets.ReadOnlyModelViewSet):
    """Groups sent by, or to, a region I read, and the groups I belong to."""

    serializer_class = s.SupervisionGroupSerializer
    filterset_class = SupervisionGroupFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return SupervisionGroup.objects.none()
        return (
            selectors.groups_visible_to(self.request.user)
            .select_related("issuing_unit", "leader__unit")
            .prefetch_related("members__unit", "scope_units", "scope_special_actions")
            .order_by("issuing_unit__path", "name")
        )


# ---- Inspections and findings ----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary=_("督查记录清单"),
        description=_("当前用户可见的检查组的督查记录(含发现问题),可按检查组、方式、日期筛选。"),
    ),
    retrieve=extend_schema(
        summary=_("督查记录详情"), description=_("一次督查的情况、检查的单位和任务、发现的问题。")
    ),
)
class InspectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.InspectionSerializer
    filterset_class = InspectionFilter
    parser_classes = EVIDENCE_PARSERS  # its one write (create) may carry photos

    def get_queryset(self):
        return selectors.inspections_visible_to(self.request.user).prefetch_related(_evidence_prefetch())

    @extend_schema(
        summary=_("记录督查"),
        description=_(
            "检查组成员记录一次督查及发现的问题;检查单位和问题涉及的单位须在检查组的督导范围内。"
            "可用 multipart/form-data 附现场照片和材料(photos,可多个;发现问题写作 findings[0]unit、"
            "findings[0]text …)。文件按内容检查,有一个不合格则整条记录都不保存。"
        ),
        request={
            "multipart/form-data": s.InspectionCreateSerializer,
            "application/json": s.InspectionCreateSerializer,
        },
        responses={201: s.InspectionSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = _valid(s.InspectionCreateSerializer, request)
        inspection = services.inspection_record(
            by=request.user,
            group=data["group"],
            kind=data["kind"],
            date=data["date"],
            summary=data["summary"],
            units=data.get("units", []),
            tasks=data.get("tasks", []),
            findings=[dict(item) for item in data.get("findings", [])],
            photos=_files(request, data, "photos"),
        )
        body = self.get_serializer(self.get_queryset().get(pk=inspection.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary=_("发现问题清单"), description=_("当前用户可见的督查记录中发现的问题,及据此下发的督办单。")
    ),
    retrieve=extend_schema(summary=_("发现问题详情"), description=_("一个问题,及据此下发的督办单。")),
)
class FindingViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.FindingSerializer

    def get_queryset(self):
        return selectors.findings_visible_to(self.request.user)

    @extend_schema(
        summary=_("据问题下发督办单"),
        description=_(
            "检查组成员把发现的问题下发给涉及单位,整改要求、时限和等级由请求给出。一个问题只能下发一张督办单。"
        ),
        request=s.OrderIssueFromFindingSerializer,
        responses={201: s.SupervisionOrderDetailSerializer},
    )
    @action(detail=True, methods=["post"], url_path="issue-order")
    def issue_order(self, request, pk=None):
        finding = self.get_object()
        data = _valid(s.OrderIssueFromFindingSerializer, request)
        order = services.order_issue(
            group=finding.inspection.group,
            by=request.user,
            unit=finding.unit,
            problem=finding.text,
            finding=finding,
            **data,
        )
        visible = selectors.orders_visible_to(request.user).prefetch_related(
            selectors.order_events_prefetch()
        )
        body = s.SupervisionOrderDetailSerializer(visible.get(pk=order.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


# ---- Supervision orders ------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary=_("督办单清单"),
        description=_("当前用户可见的督办单:承办单位在本人地区或督导范围内,或由本人所在检查组下发。"),
    ),
    retrieve=extend_schema(
        summary=_("督办单详情"), description=_("督办单及其全部动态。"), parameters=[IF_NONE_MATCH_HEADER]
    ),
)
class SupervisionOrderViewSet(
    ETagMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    filterset_class = SupervisionOrderFilter

    def get_queryset(self):
        orders = selectors.orders_visible_to(self.request.user)
        if self.action != "list":
            orders = orders.prefetch_related(selectors.order_events_prefetch(), _evidence_prefetch())
        return orders

    def get_serializer_class(self):
        return s.SupervisionOrderSerializer if self.action == "list" else s.SupervisionOrderDetailSerializer

    def representation(self, instance) -> dict:
        return s.SupervisionOrderDetailSerializer(instance, context=self.get_serializer_context()).data

    def _fresh(self, order: SupervisionOrder) -> SupervisionOrder:
        return self.get_queryset().get(pk=order.pk)

    def _step(self, request, call, body=None):
        """Find the order (404 first), validate the body, lock the order, run the service, answer
        with the updated order (If-Match: ETagMixin)."""
        order = self.get_object()
        data = _valid(body, request) if body else {}
        with transaction.atomic():
            locked = self.get_queryset().select_for_update(of=("self",)).get(pk=order.pk)
            call(locked, data)
        return self.respond(self._fresh(order))

    @extend_schema(
        summary=_("下发督办单"),
        description=_("检查组成员向督导范围内的单位下发督办单,按检查组和年度自动编号(如 洪督〔2026〕12号)。"),
        request=s.OrderCreateSerializer,
        responses={201: s.SupervisionOrderDetailSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = _valid(s.OrderCreateSerializer, request)
        order = services.order_issue(by=request.user, **data)
        return self.respond(self._fresh(order), status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("签收督办单"),
        description=_("承办单位签收已下发的督办单。"),
        request=None,
        responses=s.SupervisionOrderDetailSerializer,
        parameters=[IF_MATCH_HEADER],
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        return self._step(
            request, lambda order, _data: services.order_acknowledge(order=order, by=request.user)
        )

    @extend_schema(
        summary=_("反馈整改情况"),
        description=_(
            "承办单位签收后反馈整改情况,等待检查组验收。可用 multipart/form-data 附整改佐证(files,可多个:"
            "照片、PDF、Word、Excel),文件按内容检查,有一个不合格则整个反馈都不保存。"
        ),
        request={
            "multipart/form-data": s.RectificationSerializer,
            "application/json": s.RectificationSerializer,
        },
        responses=s.SupervisionOrderDetailSerializer,
        parameters=[IF_MATCH_HEADER],
    )
    @action(detail=True, methods=["post"], url_path="report-rectification", parser_classes=EVIDENCE_PARSERS)
    def report_rectification(self, request, pk=None):
        return self._step(
            request,
            lambda order, data: services.order_report_rectification(
                order=order, by=request.user, text=data["text"], files=_files(request, data, "files")
            ),
            s.RectificationSerializer,
        )

    @extend_schema(
        summary=_("验收销号"),
        description=_("下发督办单的检查组成员验收整改情况并销号。"),
        request=NoteSerializer,
        responses=s.SupervisionOrderDetailSerializer,
        parameters=[IF_MATCH_HEADER],
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        return self._step(
            request,
            lambda order, data: services.order_verify(
                order=order, by=request.user, note=data.get("note", "")
            ),
            NoteSerializer,
        )

    @extend_schema(
        summary=_("退回整改"),
        description=_("检查组成员退回不合格的整改反馈,承办单位须重新整改;必须填写理由。"),
        request=ReasonSerializer,
        responses=s.SupervisionOrderDetailSerializer,
        parameters=[IF_MATCH_HEADER],
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        return self._step(
            request,
            lambda order, data: services.order_return(order=order, by=request.user, reason=data["reason"]),
            ReasonSerializer,
        )

    @extend_schema(
        summary=_("督办单动态(时间线)"),
        description=_("下发、签收、反馈整改、退回、销号,按时间先后。"),
        responses=s.OrderEventSerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def timeline(self, request, pk=None):
        order = self.get_object()
        return Response(s.OrderEventSerializer(order.events.all(), many=True).data)
