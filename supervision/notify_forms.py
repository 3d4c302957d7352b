"""Forms of the 催办 button and of the office's reminder settings. They shape the input and offer only
choices inside the office's region (a forged id is a form error); supervision/notify.py and
reminders.policy_update decide the rest."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tasks.office_forms import BootstrapMixin, DateInput

from . import notify, reminders
from .models import Channel, ReminderPolicy

NOTE_MAX = 2000


class ChaseForm(forms.Form):
    """催办: an optional note (催办意见) that goes with the reminder and onto the timeline."""

    note = forms.CharField(
        label=_("催办意见"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )


class ReminderPolicyForm(BootstrapMixin, forms.ModelForm):
    """The model's own checks (first reminder before the second, days at least 1) give the errors."""

    class Meta:
        model = ReminderPolicy
        fields = list(reminders.POLICY_FIELDS)


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
    channel = forms.ChoiceField(label=_("渠道"), choices=Channel.choices)
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
        self.units = {str(unit.pk): unit for unit in notify.endpoint_units(user)}
        self.groups = {str(group.pk): group for group in notify.endpoint_groups(user)}
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
