from django.utils.translation import gettext as _
from django_filters import BooleanFilter
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions

BOOLEAN_WORDS = {"true", "false", "1", "0"}


class StrictFilterBackend(DjangoFilterBackend):
    """The shared FilterSets, but an API client gets a 400 for a filter it cannot have meant.

    An HTML filter bar submits empty fields for "any" and django-filter reads an unknown boolean as
    "any"; a program that sends `updated_since=` or `overdue=maybe` has a bug worth telling it
    about (it would otherwise pull everything, every time)."""

    def get_filterset(self, request, queryset, view):
        # Kept on the view, which may key a compiled statement on what the filters read.
        filterset = super().get_filterset(request, queryset, view)
        view.filterset = filterset
        return filterset

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        filterset_class = self.get_filterset_class(view, queryset)
        filters = filterset_class.base_filters if filterset_class else {}
        errors = {}
        for name in sorted(set(filters) & set(request.query_params)):
            values = request.query_params.getlist(name)
            if any(not value.strip() for value in values):
                errors[name] = [_("不能为空;不需要筛选时请去掉这个参数。")]
            elif isinstance(filters[name], BooleanFilter) and any(
                v.lower() not in BOOLEAN_WORDS for v in values
            ):
                errors[name] = [_("只能是 true 或 false。")]
        if errors:
            raise exceptions.ValidationError(errors)
        return kwargs
