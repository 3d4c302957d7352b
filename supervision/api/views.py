from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from tasks.models import Unit
from tasks.selectors import access_for

from ..filters import SupervisionGroupFilter
from ..models import SupervisionGroup
from .serializers import SupervisionGroupSerializer


@extend_schema_view(
    list=extend_schema(summary=_("督导检查组清单")), retrieve=extend_schema(summary=_("督导检查组详情"))
)
class SupervisionGroupViewSet(viewsets.ReadOnlyModelViewSet):
    """Groups sent by, or to, a region I read, and the groups I belong to."""

    serializer_class = SupervisionGroupSerializer
    filterset_class = SupervisionGroupFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return SupervisionGroup.objects.none()
        user = self.request.user
        units = Unit.objects.filter(access_for(user).unit_q()).values("pk")
        scoped_to_my_units = SupervisionGroup.scope_units.through.objects.filter(unit__in=units).values(
            "supervisiongroup"
        )
        visible = SupervisionGroup.objects.filter(
            Q(pk__in=scoped_to_my_units)
            | Q(issuing_unit__in=units)
            | Q(pk__in=user.supervision_groups.values("pk"))
        )
        return (
            visible.select_related("issuing_unit", "leader__unit")
            .prefetch_related("members__unit", "scope_units", "scope_special_actions")
            .order_by("issuing_unit__path", "name")
        )
