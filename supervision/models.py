"""Supervision groups (督导检查组) and their scopes. Their work (inspections, orders) comes later."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from tasks.models import Person, SpecialAction, Unit


class SupervisionGroup(models.Model):
    """A numbered city group sent to a county, or a county's 两办 group sent to townships and departments.

    Its scope is a set of units (everything under each) and, optionally, special actions:
    with special actions set, the group covers only their tasks inside those units.
    """

    name = models.CharField(_("名称"), max_length=128)
    issuing_unit = models.ForeignKey(
        Unit, models.PROTECT, related_name="issued_groups", verbose_name=_("派出单位")
    )
    leader = models.ForeignKey(
        Person, models.PROTECT, null=True, blank=True, related_name="led_groups", verbose_name=_("组长")
    )
    members = models.ManyToManyField(
        Person, blank=True, related_name="supervision_groups", verbose_name=_("成员")
    )
    scope_units = models.ManyToManyField(
        Unit, related_name="supervising_groups", verbose_name=_("督导范围(单位)")
    )
    scope_special_actions = models.ManyToManyField(
        SpecialAction, blank=True, related_name="supervising_groups", verbose_name=_("督导范围(专项行动)")
    )
    order_prefix = models.CharField(
        _("督办单文号前缀"),
        max_length=16,
        blank=True,
        help_text=_("例如“洪督”,督办单编号为 洪督〔2026〕12号。"),
    )
    is_active = models.BooleanField(_("在岗"), default=True)

    class Meta:
        verbose_name = _("督导检查组")
        verbose_name_plural = _("督导检查组")
        ordering = ["issuing_unit__path", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuing_unit", "name"],
                name="supervision_group_name_unique",
                violation_error_message=_("该单位已有同名的督导检查组。"),
            )
        ]

    def __str__(self):
        return self.name
