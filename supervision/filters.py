import django_filters as filters
from django.utils.translation import gettext_lazy as _

from tasks.models import Unit

from .models import SupervisionGroup


class SupervisionGroupFilter(filters.FilterSet):
    issuing_unit = filters.ModelChoiceFilter(queryset=Unit.objects.all(), label=_("派出单位"))
    is_active = filters.BooleanFilter(label=_("在岗"))

    class Meta:
        model = SupervisionGroup
        fields = ["issuing_unit", "is_active"]
