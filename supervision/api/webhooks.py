"""REST API v1 for the office's outbound webhooks: /api/v1/webhooks/ (docs/webhooks.md).

Only the supervision office (and superusers) may call it: anyone else gets 403 on every route. The
endpoints are scoped by `selectors.webhooks_for` (another region's endpoint answers 404, as one that
does not exist). Writes go through supervision.services. The secret is shown to the offices that
keep the endpoint: the receiver needs it to check the signature.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from tasks.api.permissions import ApiAccess
from tasks.api.serializers import InputSerializer, UnitRefSerializer
from tasks.models import Role

from .. import selectors, services
from ..models import WebhookEndpoint, WebhookEventType


class OfficeOnly(ApiAccess):
    message = _("只有督查室可以设置 Webhook 推送。")

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        user = request.user
        return bool(user.is_superuser or getattr(user, "role", None) == Role.OFFICE)


class WebhookSerializer(serializers.ModelSerializer):
    region = UnitRefSerializer(read_only=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEventType.choices))
    secret = serializers.CharField(
        read_only=True, help_text=_("签名密钥:X-WinterAction-Signature 是以它为密钥的 HMAC-SHA256。")
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "region", "url", "events", "enabled", "secret", "created_at"]
        read_only_fields = fields


class WebhookCreateSerializer(InputSerializer):
    url = serializers.CharField(
        max_length=500, label=_("地址"), help_text=_("HTTPS;主机须在 WEBHOOK_ALLOWED_HOSTS 中。")
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEventType.choices),
        allow_empty=False,
        label=_("订阅事件"),
    )
    enabled = serializers.BooleanField(required=False, default=True, label=_("启用"))


class WebhookUpdateSerializer(InputSerializer):
    url = serializers.CharField(max_length=500, required=False, label=_("地址"))
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEventType.choices),
        allow_empty=False,
        required=False,
        label=_("订阅事件"),
    )
    enabled = serializers.BooleanField(required=False, label=_("启用"))


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema_view(
    list=extend_schema(summary=_("Webhook 地址清单"), description=_("本地区的 Webhook 地址(督查室)。")),
    retrieve=extend_schema(summary=_("Webhook 地址详情")),
    destroy=extend_schema(summary=_("删除 Webhook 地址"), description=_("连同尚未发送的推送一并删除。")),
)
class WebhookViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    serializer_class = WebhookSerializer
    permission_classes = [OfficeOnly]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return WebhookEndpoint.objects.none()
        return selectors.webhooks_for(self.request.user)

    def _answer(self, endpoint, code=status.HTTP_200_OK):
        return Response(WebhookSerializer(endpoint, context=self.get_serializer_context()).data, status=code)

    @extend_schema(
        summary=_("添加 Webhook 地址"),
        description=_("为本地区添加接收推送的 HTTPS 地址;签名密钥由系统生成,在回应中返回。"),
        request=WebhookCreateSerializer,
        responses={201: WebhookSerializer},
    )
    def create(self, request, *args, **kwargs):
        endpoint = services.webhook_create(by=request.user, **_valid(WebhookCreateSerializer, request))
        return self._answer(endpoint, status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("修改 Webhook 地址"), request=WebhookUpdateSerializer, responses=WebhookSerializer
    )
    def partial_update(self, request, *args, **kwargs):
        endpoint = self.get_object()
        endpoint = services.webhook_update(
            endpoint=endpoint, by=request.user, **_valid(WebhookUpdateSerializer, request)
        )
        return self._answer(endpoint)

    def perform_destroy(self, instance):
        services.webhook_delete(endpoint=instance, by=self.request.user)

    @extend_schema(summary=_("更换签名密钥"), request=None, responses=WebhookSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        endpoint = services.webhook_rotate_secret(endpoint=self.get_object(), by=request.user)
        return self._answer(endpoint)
