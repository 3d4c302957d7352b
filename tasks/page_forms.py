"""Forms of the task page's actions. Each only shapes the input; the service decides the rest.

(`tasks/forms.py` belongs to the admin.)
"""

import secrets

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import evidence

TEXTAREA = {"rows": 3, "class": "form-control"}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name (`<input type=file multiple>`), as Django's docs suggest."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"class": "form-control"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def reselect_hint() -> str:
    return gettext("浏览器不会保留已选择的文件,改正后请重新选择文件。")


class ProgressReportForm(forms.Form):
    """进度填报. Progress may go down only with a reason: the service's rule (progress_report), which
    the API shares; its refusal comes back on `lowering_reason`."""

    percent = forms.IntegerField(
        label=_("完成进度(%)"),
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )
    done = forms.CharField(label=_("已完成工作"), widget=forms.Textarea(attrs=TEXTAREA))
    problems = forms.CharField(label=_("存在问题"), required=False, widget=forms.Textarea(attrs=TEXTAREA))
    next_steps = forms.CharField(label=_("下步计划"), required=False, widget=forms.Textarea(attrs=TEXTAREA))
    lowering_reason = forms.CharField(
        label=_("进度下调原因"),
        required=False,
        help_text=_("填报的进度低于本单位当前进度时必须填写。"),
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )
    # One-time key rendered with the form: submitted twice (a double click, a resent POST), it reports once.
    submission_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    attachments = MultipleFileField(
        label=_("佐证材料"),
        required=False,
        help_text=_("可多选,最多 10 个,每个不超过 10 MB:图片(JPG、PNG、WebP)、PDF、Word、Excel。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["submission_key"].initial = secrets.token_urlsafe(24)
        self.fields["attachments"].widget.attrs["accept"] = (
            "image/jpeg,image/png,image/webp,application/pdf,.doc,.docx,.xls,.xlsx"
        )

    def clean_attachments(self):
        files = self.cleaned_data.get("attachments") or []
        try:
            evidence.validate_uploads(files)
        except ValidationError as exc:
            raise ValidationError([*exc.messages, reselect_hint()]) from None
        return files

    def clean(self):
        data = super().clean()
        self.hint_reselect()
        return data

    def hint_reselect(self) -> None:
        """Files never survive a failed submission (the form's or the service's): say so next to the
        file field."""
        if self.errors and self.files and "attachments" not in self.errors:
            self.add_error("attachments", reselect_hint())

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "percent": data["percent"],
            "done": data["done"],
            "problems": data.get("problems", ""),
            "next_steps": data.get("next_steps", ""),
            "lowering_reason": data.get("lowering_reason", ""),
            "attachments": data.get("attachments") or [],
        }


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2, **TEXTAREA})
    )


class ReasonForm(forms.Form):
    # Not required here: the service says "请填写…理由" in its own words, the same as the API.
    reason = forms.CharField(label=_("理由"), required=False, widget=forms.Textarea(attrs=TEXTAREA))


class InstructionForm(forms.Form):
    text = forms.CharField(label=_("批示内容"), required=False, widget=forms.Textarea(attrs=TEXTAREA))


class DateInput(forms.DateInput):
    input_type = "date"


class MilestoneCompleteForm(forms.Form):
    done_on = forms.DateField(
        label=_("完成日期"),
        required=False,
        widget=DateInput(attrs={"class": "form-control form-control-sm"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["done_on"].widget.attrs["max"] = timezone.localdate().isoformat()


class ExtensionRequestForm(forms.Form):
    new_deadline = forms.DateField(label=_("申请延至"), widget=DateInput(attrs={"class": "form-control"}))
    reason = forms.CharField(label=_("延期理由"), required=False, widget=forms.Textarea(attrs=TEXTAREA))


class ExtensionDecideForm(forms.Form):
    decision = forms.ChoiceField(label=_("审批结果"), choices=[("approve", _("批准")), ("reject", _("驳回"))])
    reason = forms.CharField(label=_("审批意见"), required=False, widget=forms.Textarea(attrs=TEXTAREA))
