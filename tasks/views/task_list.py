"""The task list (stub: replaced by the task-list work)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path


@login_required
def task_list(request):
    return HttpResponse("")


urlpatterns = [path("tasks/", task_list, name="task-list")]
