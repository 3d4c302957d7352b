"""REST API v1 for bulletins (情况通报).

Reads are scoped by `selectors.bulletins_visible_to` (out of scope answers 404, like a bulletin that does
not exist); writes go through supervision.services, which decide who may act (403) and which step the
bulletin's status allows (409 `invalid_transition`). The documents of an issued bulletin are the bytes
stored at its issue; before issue they are rendered from the draft on the fly.
"""

import django_filters as filters
from django import forms
from django.db import transaction
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer

from tasks.api.serializers import (
    InputSerializer,
    NamedRefSerializer,
    PersonRefSerializer,
    UnitRefSerializer,
    VisibleRelatedField,
)
from tasks.models import Campaign, Unit
from tasks.selectors import campaigns_visible_to, units_visible_to
from winteraction.api.etags import IF_MATCH_HEADER, IF_NONE_MATCH_HEADER, ETagMixin
from winteraction.api.renderers import DOCX_TYPE, PDF_TYPE, DOCXRenderer, PDFRenderer
from winteraction.xlsx import attachment

from .. import bulletin_render, selectors, services
from ..models import Bulletin, BulletinEvent, BulletinKind, BulletinStatus

# ---- Representations --------------------------------------------------------------------------------


class BulletinSectionSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=32, label=_("部分标识"), help_text=_("如 summary、lagging"))
    heading = serializers.CharField(max_length=100, allow_blank=True, label=_("小标题"))
    text = serializers.CharField(allow_blank=True, label=_("正文"))


class BulletinEventSerializer(serializers.ModelSerializer):
    actor = PersonRefSerializer(read_only=True)

    class Meta:
        model = BulletinEvent
        fields = ["id", "kind", "actor", "at", "note"]
        read_only_fields = fields


LIST_FIELDS = [
    "id",
    "campaign",
    "region",
    "kind",
    "year",
    "number",
    "status",
    "title",
    "period_start",
    "period_end",
    "cutoff",
    "created_by",
    "created_at",
    "signed_by",
    "signed_at",
    "issued_by",
    "issued_at",
]


class BulletinSerializer(serializers.ModelSerializer):
    campaign = NamedRefSerializer(read_only=True)
    region = UnitRefSerializer(read_only=True)
    created_by = PersonRefSerializer(read_only=True)
    signed_by = PersonRefSerializer(read_only=True, allow_null=True)
    issued_by = PersonRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Bulletin
        fields = LIST_FIELDS
        read_only_fields = fields


class BulletinDetailSerializer(BulletinSerializer):
    sections = BulletinSectionSerializer(many=True, read_only=True)
    figures = serializers.JSONField(
        read_only=True,
        help_text=_(
            "统计截止时的数据:summary(与驾驶舱一致的总体数字)、good、lagging、orders、cards、ranking、"
            "indicators;印发后不再变化。"
        ),
    )
    events = BulletinEventSerializer(many=True, read_only=True)

    class Meta(BulletinSerializer.Meta):
        fields = [*LIST_FIELDS, "sections", "figures", "events"]
        read_only_fields = fields


# ---- Request bodies ----------------------------------------------------------------------------------


class BulletinCreateSerializer(InputSerializer):
    campaign = VisibleRelatedField(Campaign, campaigns_visible_to, label=_("行动"))
    region = VisibleRelatedField(Unit, units_visible_to, label=_("通报地区"), help_text=_("省、市或县"))
    kind = serializers.ChoiceField(choices=BulletinKind.choices, label=_("类型"))
    period_start = serializers.DateField(label=_("通报期起"))
    period_end = serializers.DateField(label=_("通报期止"))
    cutoff = serializers.DateTimeField(
        required=False, label=_("统计截止时间"), help_text=_("不填则为现在;不能晚于现在。")
    )
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, label=_("标题"))


class BulletinUpdateSerializer(InputSerializer):
    title = serializers.CharField(max_length=200, required=False, label=_("标题"))
    sections = BulletinSectionSerializer(many=True, required=False, label=_("正文"))


class BulletinRefreshSerializer(InputSerializer):
    cutoff = serializers.DateTimeField(
        required=False, label=_("统计截止时间"), help_text=_("不填则沿用原统计截止时间;不能晚于现在。")
    )


class BulletinDiscardSerializer(InputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, label=_("作废理由"))


class IntegerFilter(filters.NumberFilter):
    field_class = forms.IntegerField


class BulletinFilter(filters.FilterSet):
    campaign = filters.ModelChoiceFilter(queryset=Campaign.objects.all(), label=_("行动"))
    region = filters.ModelChoiceFilter(queryset=Unit.objects.all(), label=_("通报地区"))
    kind = filters.MultipleChoiceFilter(choices=BulletinKind.choices, label=_("类型"))
    status = filters.MultipleChoiceFilter(choices=BulletinStatus.choices, label=_("状态"))
    year = IntegerFilter(label=_("年度"))

    class Meta:
        model = Bulletin
        fields = ["campaign", "region", "kind", "status", "year"]


# ---- Views ------------------------------------------------------------------------------------------------


def _valid(serializer_class, request):
    serializer = serializer_class(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _step(summary, description, body=None):
    return extend_schema(
        summary=summary,
        description=description,
        request=body,
        responses=BulletinDetailSerializer,
        parameters=[IF_MATCH_HEADER],
    )


def _download(summary, description, media_type):
    # The document's renderer is there for `Accept: application/pdf`, not for a `?format=` override.
    return extend_schema(
        summary=summary,
        description=description,
        responses={(200, media_type): OpenApiTypes.BINARY},
        parameters=[OpenApiParameter("format", exclude=True)],
    )


@extend_schema_view(
    list=extend_schema(
        summary=_("情况通报清单"),
        description=_(
            "当前用户可见的情况通报:本地区督查室、领导和督导范围覆盖该地区的检查组成员可见全部(含草稿);"
            "其他用户只见本单位所在地区已印发的通报。"
        ),
    ),
    retrieve=extend_schema(
        summary=_("情况通报详情"),
        description=_("通报的正文、统计数据和动态。"),
        parameters=[IF_NONE_MATCH_HEADER],
    ),
)
class BulletinViewSet(ETagMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    filterset_class = BulletinFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Bulletin.objects.none()
        bulletins = selectors.bulletins_visible_to(self.request.user)
        if self.action == "list":
            return bulletins.defer("figures", "sections")
        return bulletins.prefetch_related("events__actor__unit")

    def get_serializer_class(self):
        return BulletinSerializer if self.action == "list" else BulletinDetailSerializer

    def representation(self, instance) -> dict:
        return BulletinDetailSerializer(instance, context=self.get_serializer_context()).data

    def _fresh(self, bulletin: Bulletin) -> Bulletin:
        return (
            selectors.bulletins_visible_to(self.request.user)
            .prefetch_related("events__actor__unit")
            .get(pk=bulletin.pk)
        )

    def _respond_after(self, request, call, body=None):
        """Find the bulletin (404 first), validate the body, lock it, run the service, answer with the
        updated bulletin (If-Match: ETagMixin). A bulletin the step moved out of the caller's sight (none
        does today) would answer 404."""
        bulletin = self.get_object()
        data = _valid(body, request) if body else {}
        with transaction.atomic():
            locked = self.get_queryset().select_for_update(of=("self",)).get(pk=bulletin.pk)
            call(locked, data)
        return self.respond(self._fresh(bulletin))

    @extend_schema(
        summary=_("起草情况通报"),
        description=_(
            "本地区督查室按统计截止时间的数据生成通报草稿:总体情况、进展较好、滞后单位和事项、督办和亮牌、"
            "争先进位排名、主要指标、下步要求。"
        ),
        request=BulletinCreateSerializer,
        responses={201: BulletinDetailSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = _valid(BulletinCreateSerializer, request)
        bulletin = services.bulletin_draft(by=request.user, **data)
        return self.respond(self._fresh(bulletin), status.HTTP_201_CREATED)

    @_step(
        _("修改情况通报"),
        _("本地区督查室修改草稿的标题和正文;已签发的通报修改后退回草稿,须重新签发。已印发的不能修改。"),
        BulletinUpdateSerializer,
    )
    def partial_update(self, request, *args, **kwargs):
        def edit(bulletin, data):
            sections = data.get("sections")
            services.bulletin_edit(
                bulletin=bulletin,
                by=request.user,
                title=data.get("title"),
                sections=[dict(section) for section in sections] if sections is not None else None,
            )

        return self._respond_after(request, edit, BulletinUpdateSerializer)

    @_step(
        _("重新生成通报数据"),
        _("本地区督查室按最新数据(或新的统计截止时间)重新生成草稿的数据和正文,已修改的正文将被替换。"),
        BulletinRefreshSerializer,
    )
    @action(detail=True, methods=["post"])
    def refresh(self, request, pk=None):
        return self._respond_after(
            request,
            lambda bulletin, data: services.bulletin_refresh(
                bulletin=bulletin, by=request.user, cutoff=data.get("cutoff")
            ),
            BulletinRefreshSerializer,
        )

    @_step(_("签发情况通报"), _("本地区领导签发草稿。"))
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        return self._respond_after(
            request, lambda bulletin, _data: services.bulletin_sign(bulletin=bulletin, by=request.user)
        )

    @_step(
        _("印发情况通报"),
        _(
            "本地区督查室印发已签发的通报:按地区、类型和年度编期号(第N期),保存 PDF 和 Word 文件,"
            "通知滞后单位和督导范围覆盖该地区的检查组。印发后数据和正文不再变化。"
        ),
    )
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        return self._respond_after(
            request, lambda bulletin, _data: services.bulletin_issue(bulletin=bulletin, by=request.user)
        )

    @_step(
        _("作废情况通报"), _("本地区督查室作废尚未印发的通报;作废的通报不占期号。"), BulletinDiscardSerializer
    )
    @action(detail=True, methods=["post"])
    def discard(self, request, pk=None):
        return self._respond_after(
            request,
            lambda bulletin, data: services.bulletin_discard(
                bulletin=bulletin, by=request.user, reason=data.get("reason", "")
            ),
            BulletinDiscardSerializer,
        )

    # ---- Documents ----

    def _document(self, kind: str) -> HttpResponse:
        bulletin = self.get_object()
        bulletin = selectors.bulletin_get_for(self.request.user, bulletin.pk)
        content = bulletin_render.document(bulletin, kind)
        response = HttpResponse(content, content_type=PDF_TYPE if kind == "pdf" else DOCX_TYPE)
        response["Content-Disposition"] = attachment(
            bulletin_render.filename(bulletin, kind), fallback=f"bulletin-{bulletin.pk}.{kind}"
        )
        return response

    @_download(_("下载通报 PDF"), _("已印发的通报为印发时保存的文件;未印发的按当前草稿生成。"), PDF_TYPE)
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, PDFRenderer], filterset_class=None)
    def pdf(self, request, pk=None):
        return self._document("pdf")

    @_download(
        _("下载通报 Word 文件"), _("已印发的通报为印发时保存的文件;未印发的按当前草稿生成。"), DOCX_TYPE
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, DOCXRenderer], filterset_class=None)
    def docx(self, request, pk=None):
        return self._document("docx")
