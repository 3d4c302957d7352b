"""Forms of the account pages and of the supervision office's back office inside the app.

They only validate and offer choices; the views hand the cleaned data to `tasks.services`.
Every choice is scoped to what the signed-in office may act on (units and leaders of its
region, special actions and tasks of the current campaign), so a forged id is a form error.
"""

import datetime

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Campaign, Person, Priority, Role, SpecialAction, Task, TaskStatus, Unit
from .selectors import access_for

# ---- Rendering and service errors -------------------------------------------------------------


class BootstrapMixin:
    """Bootstrap 5 classes on every widget, and `is-invalid` on the fields with errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"

    def add_service_error(self, error: ValidationError | PermissionDenied) -> None:
        """Show what a service refused on the form: on its field where the form has one."""
        if isinstance(error, PermissionDenied):
            self.add_error(None, str(error) or _("你没有权限执行此操作。"))
            return
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, unit):
        return unit.full_name or unit.name


class UnitMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, unit):
        return unit.name


class TaskChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, task):
        return f"{task.code} {task.title}"


# ---- Scope ------------------------------------------------------------------------------------


def office_units(user, campaign: Campaign | None = None):
    """Units the office may give work to: its region (a superuser: the campaign's owner and below)."""
    access = access_for(user)
    if access.everything:
        root = campaign.owner.path if campaign is not None else ""
        return Unit.objects.filter(path__startswith=root).order_by("path")
    if access.region is None:
        return Unit.objects.none()
    return Unit.objects.filter(path__startswith=access.region.path).order_by("path")


def office_people(user, campaign: Campaign | None = None):
    return (
        Person.objects.filter(unit__in=office_units(user, campaign), is_active=True)
        .select_related("unit")
        .order_by("unit__path", "id")
    )


def office_leaders(user, campaign: Campaign | None = None):
    return office_people(user, campaign).filter(role=Role.LEADER)


def office_tasks(user):
    """Tasks the office may edit: those led by a unit of its region."""
    access = access_for(user)
    if access.everything:
        return Task.objects.all()
    if access.region is None:
        return Task.objects.none()
    return Task.objects.filter(lead_unit__path__startswith=access.region.path)


def office_special_actions(user):
    """Special actions the office may edit: those of campaigns owned in its region."""
    access = access_for(user)
    if access.everything:
        return SpecialAction.objects.all()
    if access.region is None:
        return SpecialAction.objects.none()
    return SpecialAction.objects.filter(campaign__owner__path__startswith=access.region.path)


# ---- Account ------------------------------------------------------------------------------------


class TokenCreateForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("名称"), max_length=64, help_text=_("用途,例如“市大屏”或“统计局对接”。"))
    read_only = forms.BooleanField(label=_("只读"), required=False, initial=True)
    expires_on = forms.DateField(
        label=_("过期日期"),
        required=False,
        widget=DateInput(),
        help_text=_("留空则长期有效;到期当天 24 时失效。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        days = settings.API_TOKEN_DEFAULT_DAYS
        if days:
            self.fields["expires_on"].help_text = _("留空则 %(days)d 天后失效;到期当天 24 时失效。") % {
                "days": days
            }

    def expires_at(self) -> datetime.datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        # The token works through the whole of that day, Asia/Shanghai.
        return timezone.make_aware(
            datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
        )


class AuditFilterForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("事件"), required=False)
    username = forms.CharField(label=_("用户名"), required=False, max_length=150)

    def __init__(self, *args, **kwargs):
        from .models import AuditKind

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("全部")), *AuditKind.choices]


# ---- Special actions --------------------------------------------------------------------------


class SpecialActionForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("名称"), max_length=128)
    code = forms.CharField(label=_("编号"), max_length=16, help_text=_("任务编号的中段,例如 AQ(安全生产)。"))
    lead_unit = UnitChoiceField(label=_("牵头单位"), queryset=Unit.objects.none(), required=False)
    lead_leader = forms.ModelChoiceField(label=_("牵头领导"), queryset=Person.objects.none(), required=False)
    task_force = forms.ModelMultipleChoiceField(
        label=_("专班成员"),
        queryset=Person.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sort_order = forms.IntegerField(label=_("排序"), min_value=0, initial=0, required=False)

    def __init__(self, *args, user, campaign=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_unit"].queryset = office_units(user, campaign)
        self.fields["lead_leader"].queryset = office_leaders(user, campaign)
        self.fields["task_force"].queryset = office_people(user, campaign)

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["sort_order"] = data.get("sort_order") or 0
        return data


# ---- Tasks ---------------------------------------------------------------------------------------


class TaskAssignFields(forms.Form):
    lead_unit = UnitChoiceField(label=_("牵头单位"), queryset=Unit.objects.none())
    cooperating_units = UnitMultipleChoiceField(
        label=_("配合单位"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    responsible_leader = forms.ModelChoiceField(
        label=_("责任领导"), queryset=Person.objects.none(), required=False
    )

    def scope(self, user, campaign):
        units = office_units(user, campaign)
        self.fields["lead_unit"].queryset = units
        self.fields["cooperating_units"].queryset = units
        self.fields["responsible_leader"].queryset = office_leaders(user, campaign)

    def clean(self):
        cleaned = super().clean()
        lead, cooperating = cleaned.get("lead_unit"), cleaned.get("cooperating_units") or []
        if lead is not None and lead in cooperating:
            self.add_error("cooperating_units", _("牵头单位不能同时是配合单位。"))
        return cleaned


class TaskCreateForm(BootstrapMixin, TaskAssignFields):
    special_action = forms.ModelChoiceField(label=_("专项行动"), queryset=SpecialAction.objects.none())
    title = forms.CharField(label=_("任务名称"), max_length=200)
    description = forms.CharField(
        label=_("任务内容"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    target = forms.CharField(
        label=_("目标/预期成效"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    start_date = forms.DateField(label=_("开始日期"), widget=DateInput())
    deadline = forms.DateField(label=_("完成时限"), widget=DateInput())
    priority = forms.TypedChoiceField(
        label=_("优先级"), choices=Priority.choices, coerce=int, initial=Priority.NORMAL
    )
    parent = TaskChoiceField(label=_("上级任务"), queryset=Task.objects.none(), required=False)

    field_order = [
        "special_action",
        "title",
        "description",
        "target",
        "lead_unit",
        "cooperating_units",
        "responsible_leader",
        "start_date",
        "deadline",
        "priority",
        "parent",
    ]

    def __init__(self, *args, user, campaign, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("start_date", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.scope(user, campaign)
        self.fields["special_action"].queryset = SpecialAction.objects.filter(campaign=campaign)
        self.fields["parent"].queryset = (
            office_tasks(user).filter(campaign=campaign).exclude(status=TaskStatus.CANCELLED).order_by("code")
        )


class TaskEditForm(BootstrapMixin, TaskAssignFields):
    title = forms.CharField(label=_("任务名称"), max_length=200)
    description = forms.CharField(
        label=_("任务内容"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    target = forms.CharField(
        label=_("目标/预期成效"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    priority = forms.TypedChoiceField(label=_("优先级"), choices=Priority.choices, coerce=int)
    note = forms.CharField(
        label=_("调整说明"), required=False, max_length=500, help_text=_("调整责任时记入任务动态。")
    )

    field_order = [
        "title",
        "description",
        "target",
        "priority",
        "lead_unit",
        "cooperating_units",
        "responsible_leader",
        "note",
    ]

    def __init__(self, *args, user, task, **kwargs):
        if not args and "data" not in kwargs:
            kwargs["initial"] = {
                "title": task.title,
                "description": task.description,
                "target": task.target,
                "priority": task.priority,
                "lead_unit": task.lead_unit_id,
                "cooperating_units": [c.unit_id for c in task.cooperations.all()],
                "responsible_leader": task.responsible_leader_id,
            }
        super().__init__(*args, **kwargs)
        self.scope(user, task.campaign)


class MilestoneForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("节点"), max_length=200)
    due_date = forms.DateField(label=_("节点时限"), widget=DateInput())
