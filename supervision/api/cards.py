"""REST API v1 for red and yellow cards (红黄牌).

Reads are scoped like units (out of scope answers 404, like a card that does not exist); the decisions go
through supervision.services, which decides who may act (403) and which step the card's status allows
(409 `invalid_transition`).
"""

import django_filters as filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from tasks.api.serializers import PersonRefSerializer, ReasonSerializer, UnitRefSerializer
from tasks.models import Unit

from .. import selectors, services
from ..models import Card, CardKind, CardStatus


class CardSerializer(serializers.ModelSerializer):
    unit = UnitRefSerializer(read_only=True)
    decided_by = PersonRefSerializer(read_only=True, allow_null=True)
    lifted_by = PersonRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Card
        fields = [
            "id",
            "unit",
            "kind",
            "status",
            "proposed_on",
            "overdue_tasks",
            "overdue_orders",
            "escalated_from",
            "decided_by",
            "decided_at",
            "decision_reason",
            "lifted_by",
            "lifted_at",
            "lift_reason",
        ]
        read_only_fields = fields


class CardFilter(filters.FilterSet):
    unit = filters.ModelChoiceFilter(queryset=Unit.objects.all(), label=_("单位"))
    kind = filters.MultipleChoiceFilter(choices=CardKind.choices, label=_("类型(黄牌、红牌)"))
    status = filters.MultipleChoiceFilter(choices=CardStatus.choices, label=_("状态"))

    class Meta:
        model = Card
        fields = ["unit", "kind", "status"]


def _decision(summary, description):
    return extend_schema(
        summary=summary, description=description, request=ReasonSerializer, responses=CardSerializer
    )


@extend_schema_view(
    list=extend_schema(
        summary=_("红黄牌清单"),
        description=_("当前用户可见单位的红黄牌:系统提议的、已亮出的、不予亮牌的和已撤销的。"),
    ),
    retrieve=extend_schema(summary=_("红黄牌详情"), description=_("一张牌的依据、决定和撤牌情况。")),
)
class CardViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CardSerializer
    filterset_class = CardFilter

    def get_queryset(self):
        return selectors.cards_visible_to(self.request.user).order_by("-proposed_on", "-id")

    def _step(self, request, service):
        card = self.get_object()
        reason = ReasonSerializer(data=request.data, context={"request": request})
        reason.is_valid(raise_exception=True)
        service(card=card, by=request.user, reason=reason.validated_data["reason"])
        return Response(self.get_serializer(self.get_queryset().get(pk=card.pk)).data)

    @_decision(_("亮牌"), _("本地区督查室确认系统的提议,亮出黄牌或红牌;须填写理由。"))
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        return self._step(request, services.card_issue)

    @_decision(_("不予亮牌"), _("本地区督查室驳回系统的提议;须填写理由。"))
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        return self._step(request, services.card_dismiss)

    @_decision(_("撤牌"), _("单位整改到位后,本地区督查室撤销已亮出的牌;须填写理由。"))
    @action(detail=True, methods=["post"])
    def lift(self, request, pk=None):
        return self._step(request, services.card_lift)
