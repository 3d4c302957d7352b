"""Forms for tasks and people.

The admin forms here validate what a form can see (dates in order, choices in the
user's region) and hand the cleaned data to `tasks.services`; none of them saves a
model itself. Whatever only the service can decide comes back as a `ValidationError`
and is shown on the form by `tasks.admin.ServiceAdminMixin`.
"""

from django import forms
from django.contrib.auth.forms import AdminUserCreationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Milestone, Person, Task, Unit
from .selectors import access_for

# ---- Choices a user may pick ----------------------------------------------------------------


def units_for(user):
    """Units a user may pick: their region's tree (everything for a superuser)."""
    access = access_for(user)
    if access.everything:
        return Unit.objects.all()
    if access.region is None:
        return Unit.objects.none()
    return Unit.objects.filter(path__startswith=access.region.path)


def people_for(user):
    """People in the user's region (everyone for a superuser)."""
    access = access_for(user)
    if access.everything:
        return Person.objects.all()
    if access.region is None:
        return Person.objects.none()
    return Person.objects.filter(unit__path__startswith=access.region.path)


# ---- Admin: tasks ------------------------------------------------------------------------


class TaskAdminForm(forms.ModelForm):
    """Task add and change form; cooperating units are a plain choice, `task_create`/`task_assign` store them.

    The model's `cooperating_units` goes through `TaskCooperation` (which repeats the
    lead unit), so it cannot be a model form field; the form field has its own name
    and `service_field_aliases` maps the services' error key onto it.
    """

    cooperating = forms.ModelMultipleChoiceField(
        queryset=Unit.objects.none(),
        required=False,
        label=_("配合单位"),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    service_field_aliases = {"cooperating_units": "cooperating"}
    request = None  # set by the admin (ServiceAdminMixin.get_form)

    class Meta:
        model = Task
        fields = [
            "campaign",
            "special_action",
            "parent",
            "code",
            "title",
            "description",
            "target",
            "lead_unit",
            "responsible_leader",
            "start_date",
            "deadline",
            "priority",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.request is not None:
            self.fields["cooperating"].queryset = units_for(self.request.user)
        if "code" in self.fields:
            self.fields["code"].required = False
            self.fields["code"].help_text = _("留空则按“行动前缀-专项编号-序号”自动编号。")
        if "start_date" in self.fields:
            self.fields["start_date"].initial = timezone.localdate
        if self.instance.pk and "cooperating" not in self.initial:
            self.initial["cooperating"] = [unit.pk for unit in self.instance.cooperating_units.all()]

    def clean(self):
        cleaned = super().clean()
        start, deadline = cleaned.get("start_date"), cleaned.get("deadline")
        if start and deadline and deadline < start:
            self.add_error("deadline", _("完成时限不能早于开始日期。"))
        campaign, special_action = cleaned.get("campaign"), cleaned.get("special_action")
        if campaign and special_action and special_action.campaign_id != campaign.pk:
            self.add_error("special_action", _("专项行动不属于这次冬季行动。"))
        lead_unit = cleaned.get("lead_unit")
        if lead_unit and lead_unit in (cleaned.get("cooperating") or []):
            self.add_error("cooperating", _("牵头单位不能同时是配合单位。"))
        if (
            self.instance.pk
            and "responsible_leader" in self.fields
            and self.instance.responsible_leader_id
            and not cleaned.get("responsible_leader")
        ):
            # task_assign reads None as "unchanged": it can replace a leader, not remove one.
            self.add_error("responsible_leader", _("责任领导只能更换,不能清空。"))
        return cleaned


class MilestoneInlineForm(forms.ModelForm):
    """One milestone row: a new row is `milestone_add`; on a saved row only ticking it done is possible."""

    class Meta:
        model = Milestone
        fields = ["title", "due_date", "done_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Disabled fields ignore what is posted, so a saved row's title and date cannot move.
            self.fields["title"].disabled = True
            self.fields["due_date"].disabled = True
            if self.instance.done_on:
                self.fields["done_on"].disabled = True

    def clean_done_on(self):
        done_on = self.cleaned_data.get("done_on")
        if done_on and done_on > timezone.localdate():
            raise forms.ValidationError(_("完成日期不能晚于今天。"))
        return done_on


# ---- Admin: people and reasons -------------------------------------------------------------


class PersonCreationForm(AdminUserCreationForm):
    """The standard admin user-creation form (username, password or none) plus unit, position and role."""

    class Meta(AdminUserCreationForm.Meta):
        model = Person
        fields = ("username", "unit", "position", "role", "email", "is_staff")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("unit"):
            self.add_error("unit", _("除超级管理员外,每个人员都必须属于一个单位。"))
        return cleaned


class ReasonForm(forms.Form):
    """The reason asked for by an admin action that needs one (cancel, return, reject)."""

    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 4, "cols": 60}))

    def __init__(self, *args, required=True, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required
        if label:
            self.fields["reason"].label = label
