"""Forms of supervision work. They shape the input and offer only choices the user may make (a forged
id is a form error); the services decide the rest.

- inspections and orders: the choices come from one `selectors.Scope` (three queries at most), never
  from a queryset per field, so a page costs the same number of queries however many findings, rows
  or photos it shows;
- the 催办 button;
- the office's reminder settings: rules, the working-day calendar, notification channels (only the
  units and groups of the office's region);
- a new bulletin (情况通报): the campaigns the office runs, the kind, the period and the cutoff.
"""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tasks import evidence
from tasks.office_forms import BootstrapMixin, DateInput
from tasks.page_forms import MultipleFileField, MultipleFileInput, reselect_hint

from . import selectors
from .models import (
    BulletinKind,
    Channel,
    InspectionKind,
    RankingPolicy,
    ReminderPolicy,
    SupervisionGroup,
    Urgency,
    WebhookEventType,
)
from .selectors import Scope
from .services import POLICY_FIELDS, RANKING_POLICY_FIELDS

# What a phone offers for evidence: the camera and the gallery, PDFs and Office files.
EVIDENCE_ACCEPT = "image/*,.pdf,.doc,.docx,.xls,.xlsx"
FINDING_ROWS = 3  # empty findings rows on a new inspection; "add a row" (htmx) gives more
MAX_FINDINGS = 50
DEFAULT_ORDER_DAYS = 7  # a new order's deadline, until the inspector picks one

# ---- Inspections and supervision orders ------------------------------------------------------------------


def _date_input() -> DateInput:
    return DateInput(attrs={"class": "form-control"})


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "class": "form-control"})


def _checklist() -> forms.CheckboxSelectMultiple:
    return forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})


def _select(**attrs) -> forms.Select:
    return forms.Select(attrs={"class": "form-select", **attrs})


def _evidence_field(label, help_text, *, capture: bool) -> MultipleFileField:
    attrs = {"class": "form-control", "accept": EVIDENCE_ACCEPT}
    if capture:
        attrs["capture"] = "environment"  # the phone opens its rear camera
    return MultipleFileField(
        label=label, required=False, help_text=help_text, widget=MultipleFileInput(attrs)
    )


EVIDENCE_HELP = _("可多选,最多 10 个,每个不超过 10 MB:图片(JPG、PNG、WebP)、PDF、Word、Excel。")


def _check_files(files) -> list:
    """The same check as the service's, so a bad file shows next to its field with the rest."""
    try:
        evidence.validate_uploads(files or [])
    except ValidationError as exc:
        raise ValidationError([*exc.messages, reselect_hint()]) from None
    return files


def add_service_errors(form, exc: ValidationError, *, rename: dict | None = None) -> None:
    """A service's refusal onto the form: on the field it names where the form has it, else on top."""
    rename = rename or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, errors in exc.error_dict.items():
        name = rename.get(name, name)
        messages_ = [message for error in errors for message in error.messages]
        form.add_error(name if name in form.fields else None, messages_)


def mark_invalid(form) -> None:
    for name in form.errors:
        if name in form.fields:
            widget = form.fields[name].widget
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
            widget.attrs["aria-invalid"] = "true"


def _group_select(groups: list[SupervisionGroup], url: str) -> forms.Select:
    """Choosing another group reloads the scope-bound fields (htmx) with that group's units and tasks."""
    return _select(
        **{
            "hx-get": url,
            "hx-trigger": "change",
            "hx-target": "#scope-fields",
            "hx-select": "#scope-fields",
            "hx-swap": "outerHTML",
        }
    )


class InspectionForm(forms.Form):
    group = forms.TypedChoiceField(label=_("督导检查组"), coerce=int)
    kind = forms.ChoiceField(label=_("方式"), choices=InspectionKind.choices, widget=_select())
    date = forms.DateField(label=_("日期"), widget=_date_input())
    units = forms.TypedMultipleChoiceField(
        label=_("检查单位"), coerce=int, required=False, widget=_checklist()
    )
    tasks = forms.TypedMultipleChoiceField(
        label=_("检查任务"), coerce=int, required=False, widget=_checklist()
    )
    summary = forms.CharField(label=_("情况概述"), widget=_textarea(4))

    def __init__(self, *args, groups, scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.fields["group"].widget = _group_select(groups, reverse("inspection-new"))
        self.fields["group"].choices = [(group.pk, group.name) for group in groups]
        self.fields["units"].choices = scope.unit_choices()
        self.fields["tasks"].choices = scope.task_choices()
        self.fields["photos"] = _evidence_field(_("现场照片和材料"), EVIDENCE_HELP, capture=True)
        self.fields["date"].widget.attrs["max"] = timezone.localdate().isoformat()

    def clean_photos(self):
        return _check_files(self.cleaned_data.get("photos"))


class FindingForm(forms.Form):
    unit = forms.TypedChoiceField(label=_("涉及单位"), coerce=int, widget=_select())
    task = forms.TypedChoiceField(
        label=_("涉及任务"), coerce=int, required=False, empty_value=None, widget=_select()
    )
    text = forms.CharField(label=_("发现问题"), widget=_textarea(2))

    def __init__(self, *args, scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = scope.unit_choices(blank=True)
        self.fields["task"].choices = scope.task_choices(blank=True)


FindingFormSet = forms.formset_factory(
    FindingForm, extra=FINDING_ROWS, max_num=MAX_FINDINGS, validate_max=True, absolute_max=MAX_FINDINGS
)


class OrderForm(forms.Form):
    """The content of a 督办单. Issued from a finding it names no group, unit or task (the finding's)."""

    problem = forms.CharField(label=_("存在问题"), widget=_textarea(3))
    requirement = forms.CharField(label=_("督办要求"), widget=_textarea(3))
    deadline = forms.DateField(label=_("整改时限"), widget=_date_input())
    urgency = forms.ChoiceField(
        label=_("督办等级"), choices=Urgency.choices, initial=Urgency.BLUE, widget=_select()
    )
    cooperating_units = forms.TypedMultipleChoiceField(
        label=_("协办单位"),
        coerce=int,
        required=False,
        help_text=_("可不选;按住 Ctrl 或在手机上点选多个。"),
        widget=forms.SelectMultiple(attrs={"class": "form-select", "size": 4}),
    )

    def __init__(self, *args, scope: Scope, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault(
            "deadline", timezone.localdate() + datetime.timedelta(DEFAULT_ORDER_DAYS)
        )
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.fields["cooperating_units"].choices = scope.unit_choices()
        self.fields["deadline"].widget.attrs["min"] = timezone.localdate().isoformat()

    def order_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "problem": data["problem"],
            "requirement": data["requirement"],
            "deadline": data["deadline"],
            "urgency": data["urgency"],
            "cooperating_units": [self.scope.units[pk] for pk in data.get("cooperating_units", [])],
        }


class OrderNewForm(OrderForm):
    group = forms.TypedChoiceField(label=_("督导检查组"), coerce=int)
    unit = forms.TypedChoiceField(label=_("承办单位"), coerce=int, widget=_select())
    tasks = forms.TypedMultipleChoiceField(
        label=_("相关任务"), coerce=int, required=False, widget=_checklist()
    )

    field_order = [
        "group",
        "unit",
        "cooperating_units",
        "tasks",
        "problem",
        "requirement",
        "deadline",
        "urgency",
    ]

    def __init__(self, *args, groups, scope: Scope, **kwargs):
        super().__init__(*args, scope=scope, **kwargs)
        self.fields["group"].widget = _group_select(groups, reverse("order-new"))
        self.fields["group"].choices = [(group.pk, group.name) for group in groups]
        self.fields["unit"].choices = scope.unit_choices(blank=True)
        self.fields["tasks"].choices = scope.task_choices()

    def order_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            **super().order_arguments(),
            "group": self.scope.group,
            "unit": self.scope.units[data["unit"]],
            "tasks": [self.scope.tasks[pk] for pk in data.get("tasks", [])],
        }


# ---- 催办 and the office's reminder settings ----------------------------------------------------------------

NOTE_MAX = 2000


class ChaseForm(forms.Form):
    """催办: an optional note (催办意见) that goes with the reminder and onto the timeline; on a task,
    the cooperating units to chase too (`units`: the task's, the only ones offered)."""

    note = forms.CharField(
        label=_("催办意见"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )
    cooperating_units = forms.TypedMultipleChoiceField(
        label=_("同时催办配合单位"), required=False, coerce=int, choices=()
    )

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.units = {unit.pk: unit for unit in units}
        self.fields["cooperating_units"].choices = [(unit.pk, unit.name) for unit in units]

    def chosen_units(self) -> list:
        return [self.units[pk] for pk in self.cleaned_data.get("cooperating_units") or ()]


class ReminderPolicyForm(BootstrapMixin, forms.ModelForm):
    """The model's own checks (first reminder before the second, days at least 1) give the errors."""

    class Meta:
        model = ReminderPolicy
        fields = list(POLICY_FIELDS)


class RankingPolicyForm(BootstrapMixin, forms.ModelForm):
    """排名规则. The model's constraints (weights not negative and summing to 100) give the errors."""

    class Meta:
        model = RankingPolicy
        fields = list(RANKING_POLICY_FIELDS)


class CalendarDayForm(BootstrapMixin, forms.Form):
    date = forms.DateField(label=_("日期"), widget=DateInput())
    working = forms.TypedChoiceField(
        label=_("这一天"),
        choices=[("0", _("放假")), ("1", _("上班"))],
        coerce=lambda value: value == "1",
    )
    name = forms.CharField(
        label=_("名称"), required=False, max_length=64, help_text=_("例如“国庆节”“调休上班”。")
    )


class EndpointForm(BootstrapMixin, forms.Form):
    owner = forms.ChoiceField(label=_("接收方"))
    # An integrator's webhook has its own page (supervision/views/webhooks.py).
    channel = forms.ChoiceField(
        label=_("渠道"), choices=[c for c in Channel.choices if c[0] != Channel.WEBHOOK]
    )
    address = forms.CharField(
        label=_("地址"),
        max_length=500,
        help_text=_(
            "邮箱地址,或机器人的 Webhook 地址(企业微信 https://qyapi.weixin.qq.com/…,钉钉 https://oapi.dingtalk.com/…)。"
        ),
    )
    secret = forms.CharField(
        label=_("加签密钥"),
        required=False,
        max_length=200,
        help_text=_("仅钉钉机器人开启“加签”时填写;保存后不再显示。"),
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.units = {str(unit.pk): unit for unit in selectors.endpoint_units(user)}
        self.groups = {str(group.pk): group for group in selectors.endpoint_groups(user)}
        choices = [("", "—")]
        if self.units:
            unit_label = _("单位")
            choices.append(
                (unit_label, [(f"unit:{pk}", u.full_name or u.name) for pk, u in self.units.items()])
            )
        if self.groups:
            group_label = _("督导检查组")
            choices.append((group_label, [(f"group:{pk}", g.name) for pk, g in self.groups.items()]))
        self.fields["owner"].choices = choices

    def clean_owner(self):
        kind, _sep, pk = self.cleaned_data["owner"].partition(":")
        found = (self.units if kind == "unit" else self.groups if kind == "group" else {}).get(pk)
        if found is None:
            raise forms.ValidationError(_("请选择一个单位或一个督导检查组。"))
        return {kind: found}

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            **data["owner"],
            "channel": data["channel"],
            "address": data["address"],
            "secret": data.get("secret", ""),
        }


class WebhookForm(BootstrapMixin, forms.Form):
    url = forms.CharField(
        label=_("地址"),
        max_length=500,
        help_text=_("接收方的 HTTPS 地址;主机须在 WEBHOOK_ALLOWED_HOSTS 中。"),
    )
    events = forms.MultipleChoiceField(
        label=_("订阅事件"), choices=WebhookEventType.choices, widget=forms.CheckboxSelectMultiple
    )


# ---- Bulletins (情况通报) -------------------------------------------------------------------------------


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class BulletinDraftForm(BootstrapMixin, forms.Form):
    """A new draft: a campaign whose region's office the user is (its owner is the bulletin's region),
    the kind, the period it reports on, and the cutoff of its figures (now by default)."""

    campaign = forms.ModelChoiceField(label=_("行动"), queryset=None, empty_label=None)
    kind = forms.ChoiceField(label=_("类型"), choices=BulletinKind.choices, initial=BulletinKind.WEEKLY)
    period_start = forms.DateField(label=_("通报期起"), widget=DateInput())
    period_end = forms.DateField(label=_("通报期止"), widget=DateInput())
    cutoff = forms.DateTimeField(
        label=_("统计截止时间"),
        required=False,
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        # Empty is now, to the second: a time picked in the form is to the minute, and would leave out
        # what was reported in the last seconds.
        help_text=_("通报中的数据按此时的情况生成;留空即为生成草稿的时间。"),
    )
    title = forms.CharField(
        label=_("标题"), required=False, max_length=200, help_text=_("留空则按行动和类型生成。")
    )

    def __init__(self, *args, campaigns, campaign=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns
        today = timezone.localdate()
        self.initial.setdefault("campaign", campaign.pk if campaign is not None else None)
        self.initial.setdefault("period_start", today - datetime.timedelta(days=6))
        self.initial.setdefault("period_end", today)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "campaign": data["campaign"],
            "region": data["campaign"].owner,
            "kind": data["kind"],
            "period_start": data["period_start"],
            "period_end": data["period_end"],
            "cutoff": data["cutoff"] or None,
            "title": data["title"],
        }
