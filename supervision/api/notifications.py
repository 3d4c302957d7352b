"""REST API v1: my in-app messages (站内消息), and chasing a task or a supervision order by hand (催办).

- /notifications/ lists the caller's own inbox, newest first (`?unread=true` for the unread ones);
  an item's `id` is its notification's. Another person's item answers 404, like one that does not
  exist. Marking read is a write: a read-only token may list but not mark.
- /tasks/{id}/chase/ and /supervision-orders/{id}/chase/ call supervision.services (task_chase,
  chase_order): 201 with the notification sent; 403 for a caller who may not chase;
  404 outside the caller's scope; 409 for a task no longer running or an order already closed.
"""

import django_filters as filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from tasks.api.serializers import InputSerializer, PersonRefSerializer, UnitRefSerializer
from tasks.models import Task, Unit
from tasks.selectors import tasks_visible_to

from .. import messages, selectors, services
from ..forms import NOTE_MAX
from ..models import InboxItem, Notification, ReminderRule, SupervisionOrder
from ..selectors import orders_visible_to

# ---- Serializers ----------------------------------------------------------------------------------


class _MessageFields(serializers.Serializer):
    """What a notification says and where it leads (from rows already joined: no query per item)."""

    title = serializers.SerializerMethodField(help_text=_("消息标题,如“【逾期催办】… 已逾期 3 天”。"))
    url = serializers.SerializerMethodField(help_text=_("在本系统中查看的地址(任务、督办单或驾驶舱)。"))

    def _notification(self, obj) -> Notification:
        return obj

    def get_title(self, obj) -> str:
        return messages.title(self._notification(obj))

    def get_url(self, obj) -> str:
        return messages.absolute(messages.path_of(self._notification(obj)))


class NotificationSerializer(_MessageFields, serializers.ModelSerializer):
    """A notification as sent: to a unit, a person or a supervision group."""

    rule = serializers.ChoiceField(choices=ReminderRule.choices, read_only=True, help_text=_("提醒规则。"))
    unit = UnitRefSerializer(read_only=True, allow_null=True)
    person = PersonRefSerializer(read_only=True, allow_null=True)
    created_by = PersonRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "rule",
            "day",
            "title",
            "url",
            "task",
            "milestone",
            "order",
            "unit",
            "person",
            "group",
            "note",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class InboxItemSerializer(_MessageFields, serializers.ModelSerializer):
    """A message in the caller's inbox."""

    id = serializers.IntegerField(source="notification_id", read_only=True, help_text=_("提醒的 id。"))
    rule = serializers.ChoiceField(
        source="notification.rule", choices=ReminderRule.choices, read_only=True, help_text=_("提醒规则。")
    )
    task = serializers.IntegerField(
        source="notification.task_id", read_only=True, allow_null=True, help_text=_("相关任务的 id。")
    )
    order = serializers.IntegerField(
        source="notification.order_id", read_only=True, allow_null=True, help_text=_("相关督办单的 id。")
    )
    note = serializers.CharField(source="notification.note", read_only=True, help_text=_("催办意见。"))
    unread = serializers.SerializerMethodField(help_text=_("是否未读。"))

    class Meta:
        model = InboxItem
        fields = ["id", "rule", "title", "url", "task", "order", "note", "created_at", "read_at", "unread"]
        read_only_fields = fields

    def _notification(self, obj) -> Notification:
        return obj.notification

    def get_unread(self, obj) -> bool:
        return obj.read_at is None


class ChaseSerializer(InputSerializer):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=NOTE_MAX, label=_("催办意见"), help_text=_("选填。")
    )


class TaskChaseSerializer(ChaseSerializer):
    cooperating_units = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=Unit.objects.all(),
        label=_("同时催办的配合单位"),
        help_text=_("选填:这项任务的配合单位 id,它们也会立即收到催办。"),
    )


class InboxFilter(filters.FilterSet):
    unread = filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", label=_("true:只看未读;false:只看已读。")
    )

    class Meta:
        model = InboxItem
        fields = ["unread"]


# ---- My inbox -------------------------------------------------------------------------------------

NOTIFICATION_ID = OpenApiParameter(
    "id", int, OpenApiParameter.PATH, description=_("提醒的 id(消息列表中的 id)。")
)


@extend_schema_view(
    list=extend_schema(
        summary=_("我的消息"),
        description=_("当前用户的站内消息,最新的在前;unread=true 只看未读。"),
    ),
    retrieve=extend_schema(
        summary=_("消息详情"), description=_("当前用户的一条站内消息。"), parameters=[NOTIFICATION_ID]
    ),
)
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = InboxItemSerializer
    filterset_class = InboxFilter
    lookup_field = "notification_id"
    lookup_url_kwarg = "pk"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return InboxItem.objects.none()
        return selectors.inbox_for(self.request.user)

    @extend_schema(
        summary=_("标为已读"),
        description=_("把自己的一条消息标为已读(已读的保持不变)。"),
        request=None,
        responses=InboxItemSerializer,
        parameters=[NOTIFICATION_ID],
    )
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        item = services.inbox_mark_read(item=self.get_object())
        return Response(self.get_serializer(item).data)

    @extend_schema(
        summary=_("全部标为已读"),
        description=_("把自己的全部未读消息标为已读,返回标记的条数。"),
        request=None,
        responses=inline_serializer(
            "ReadAll", {"marked": serializers.IntegerField(help_text=_("标为已读的条数。"))}
        ),
    )
    @action(detail=False, methods=["post"], url_path="read-all", filterset_class=None, pagination_class=None)
    def read_all(self, request):
        return Response({"marked": services.inbox_mark_all_read(person=request.user)})


# ---- Chasing by hand (催办) -------------------------------------------------------------------------


class _ChaseView(generics.GenericAPIView):
    serializer_class = ChaseSerializer
    filter_backends = []
    pagination_class = None

    def chase(self, subject, data: dict) -> Notification:
        raise NotImplementedError

    def post(self, request, pk):
        subject = self.get_object()
        body = self.get_serializer_class()(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        notification = self.chase(subject, body.validated_data)
        fresh = Notification.objects.select_related(
            "task", "order", "milestone", "group", "unit", "person__unit", "created_by__unit"
        ).get(pk=notification.pk)
        return Response(NotificationSerializer(fresh).data, status=status.HTTP_201_CREATED)


class TaskChaseView(_ChaseView):
    serializer_class = TaskChaseSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Task.objects.none()
        return tasks_visible_to(self.request.user)

    @extend_schema(
        summary=_("催办任务"),
        description=_(
            "督查室和督导组成员催办一项在办的任务:立即通知牵头单位(站内消息及其通知渠道),"
            "以及选定的配合单位,并记入任务动态。"
        ),
        request=TaskChaseSerializer,
        responses={201: NotificationSerializer},
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description=_("任务的 id。"))],
    )
    def post(self, request, pk):
        return super().post(request, pk)

    def chase(self, task, data):
        return services.task_chase(
            task=task,
            by=self.request.user,
            note=data.get("note", ""),
            cooperating_units=data.get("cooperating_units", ()),
        )


class OrderChaseView(_ChaseView):
    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SupervisionOrder.objects.none()
        return orders_visible_to(self.request.user)

    @extend_schema(
        summary=_("催办督办单"),
        description=_(
            "督查室和督导组成员催办一张未销号的督办单:立即通知承办单位(站内消息及其通知渠道),并记入督办单动态。"
        ),
        request=ChaseSerializer,
        responses={201: NotificationSerializer},
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description=_("督办单的 id。"))],
    )
    def post(self, request, pk):
        return super().post(request, pk)

    def chase(self, order, data):
        return services.chase_order(order=order, by=self.request.user, note=data.get("note", ""))
