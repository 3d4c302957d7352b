from django import forms
from django.utils.translation import gettext as _
from django_filters import BooleanFilter, ModelChoiceFilter, ModelMultipleChoiceFilter, utils
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions

from ..parsing import whole_number

BOOLEAN_WORDS = {"true", "false", "1", "0"}
ID_FILTERS = (ModelChoiceFilter, ModelMultipleChoiceFilter)


class StrictFilterBackend(DjangoFilterBackend):
    """The shared FilterSets, but an API client gets a 400 for a filter it cannot have meant.

    An HTML filter bar submits empty fields for "any" and django-filter reads an unknown boolean as
    "any"; a program that sends `updated_since=` or `overdue=maybe` has a bug worth telling it
    about (it would otherwise pull everything, every time).

    An id filter (`campaign=7`) takes ASCII digits only. A well-formed id that names nothing the caller
    can see gives an empty list, whether the row is in another county or does not exist at all: the
    answer must not tell the two apart (docs/api.md, Filters)."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            if _only_unknown_ids(filterset):
                return queryset.none()
            raise utils.translate_validation(filterset.errors)
        return filterset.qs

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
            elif isinstance(filters[name], ID_FILTERS) and any(whole_number(v) is None for v in values):
                errors[name] = [_("必须是编号(正整数)。")]
            elif issubclass(filters[name].field_class, forms.IntegerField) and any(
                whole_number(v) is None for v in values
            ):
                errors[name] = [_("必须是整数(只用数字 0–9)。")]
        if errors:
            raise exceptions.ValidationError(errors)
        return kwargs


def _only_unknown_ids(filterset) -> bool:
    """Every error is an id filter's "no such choice" (its values are well-formed: see above)."""
    errors = filterset.form.errors.as_data()
    return all(
        isinstance(filterset.filters.get(name), ID_FILTERS)
        and all(error.code in ("invalid_choice", "invalid_pk_value") for error in field_errors)
        for name, field_errors in errors.items()
    )


def filters_in_words(filterset, params, *, skip=()) -> str:
    """The filters applied, as a reader would say them: `专项行动=安全生产;状态=推进中、已销号`.
    Only the parameters given in `params` (a QueryDict) with a valid value, in the filterset's order; a
    label's trailing "(…)" note is dropped."""
    if filterset is None or not filterset.is_bound or not filterset.is_valid():
        return ""
    cleaned = filterset.form.cleaned_data
    words = []
    for name, field in filterset.filters.items():
        if name in skip or name not in params:
            continue
        value = cleaned.get(name)
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, bool):
            shown = _("是") if value else _("否")
        elif isinstance(value, list | tuple):
            choices = {str(key): str(label) for key, label in field.extra.get("choices", ())}
            shown = "、".join(choices.get(str(item), str(item)) for item in value)
        elif hasattr(value, "isoformat"):
            shown = value.isoformat()
        else:
            shown = str(value)
        label = str(field.label or name)
        if label.endswith(")") and "(" in label:
            label = label[: label.rindex("(")]
        words.append(f"{label}={shown}")
    return ";".join(words)
