"""The progress-report form sent twice (a double click, a resent POST) reports once: the form carries a
one-time key, claimed in the same transaction as the report."""

import re

from django.contrib.messages import get_messages
from django.urls import reverse
from rest_framework.test import APIClient

from tasks.models import ProgressReport

REPORT = {"percent": "45", "done": "排查井下隐患3处,已整改2处", "problems": "", "next_steps": ""}


def form_key(client, task) -> str:
    html = client.get(reverse("task-report", args=[task.pk])).content.decode()
    return re.search(r'name="submission_key" value="([^"]+)"', html).group(1)


def test_the_same_report_form_sent_twice_makes_one_report(client, world):
    task = world.task()
    client.force_login(world.wanan_official)
    data = {**REPORT, "submission_key": form_key(client, task)}

    first = client.post(reverse("task-report", args=[task.pk]), data)
    second = client.post(reverse("task-report", args=[task.pk]), data)

    assert (first.status_code, second.status_code) == (302, 302)
    assert second.url == reverse("task-detail", args=[task.pk])
    assert ProgressReport.objects.filter(task=task).count() == 1


def test_the_second_submission_says_it_was_already_sent(client, world):
    task = world.task()
    client.force_login(world.wanan_official)
    data = {**REPORT, "submission_key": form_key(client, task)}
    list(
        get_messages(client.post(reverse("task-report", args=[task.pk]), data).wsgi_request)
    )  # read: 进度已填报

    response = client.post(reverse("task-report", args=[task.pk]), data, follow=True)

    assert "这份填报已经提交过,没有重复提交。" in [str(m) for m in response.context["messages"]]


def test_two_report_forms_opened_separately_make_two_reports(client, world):
    task = world.task()
    client.force_login(world.wanan_official)

    client.post(reverse("task-report", args=[task.pk]), {**REPORT, "submission_key": form_key(client, task)})
    client.post(
        reverse("task-report", args=[task.pk]),
        {**REPORT, "percent": "60", "submission_key": form_key(client, task)},
    )

    assert ProgressReport.objects.filter(task=task).count() == 2


def test_a_refused_report_leaves_its_key_usable_for_the_corrected_form(client, world):
    task = world.task()
    client.force_login(world.wanan_official)
    key = form_key(client, task)

    refused = client.post(
        reverse("task-report", args=[task.pk]), {**REPORT, "done": "", "submission_key": key}
    )
    client.post(reverse("task-report", args=[task.pk]), {**REPORT, "submission_key": key})

    assert refused.status_code == 200
    assert ProgressReport.objects.filter(task=task).count() == 1


def test_the_api_idempotency_key_still_reports_once(world):
    task = world.task()
    api = APIClient()
    api.force_authenticate(world.wanan_official)
    url = f"/api/v1/tasks/{task.pk}/progress-reports/"
    body = {"percent": 30, "done": "已排查"}

    first = api.post(url, body, format="json", headers={"Idempotency-Key": "report-1"})
    retry = api.post(url, body, format="json", headers={"Idempotency-Key": "report-1"})

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert ProgressReport.objects.filter(task=task).count() == 1
