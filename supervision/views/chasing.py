"""The task page's 催办 step, from supervision's side of the seam.

tasks/views/task_page.py knows nothing of supervision: it offers the steps registered in
tasks/seams.py. SupervisionConfig.ready() registers this one (supervision/seams.py), so the task page shows
supervision's 催办 button (templates/supervision/partials/task_chase.html) to whoever
`permissions.can_chase_task` allows, and its form posts here (`task-chase`, /tasks/<id>/chase/). This
view answers like the task page's own steps (`answer_action`): back to the page, or its body for htmx.
The 催办 of a supervision order is a step of the order page (orders.order_step).
"""

from django.contrib.auth.decorators import login_required
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tasks.models import Unit
from tasks.views import task_page

from .. import services
from ..forms import ChaseForm

CHASE = "chase"


@require_POST
@login_required
def task_chase(request, pk):
    """催办: the lead unit is told at once (in-app and its channels); the chase goes on the timeline."""
    task = task_page.page_action_task(request, pk, CHASE)
    form = ChaseForm(request.POST, units=Unit.objects.filter(cooperations__task=task).order_by("path"))
    return task_page.answer_action(
        request,
        task,
        form,
        CHASE,
        lambda data: services.task_chase(
            task=task, by=request.user, note=data.get("note", ""), cooperating_units=form.chosen_units()
        ),
        _("已催办,已通知牵头单位。"),
    )


urlpatterns = [
    path("tasks/<int:pk>/chase/", task_chase, name="task-chase"),
]
