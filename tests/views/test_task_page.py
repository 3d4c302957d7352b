"""The task page: what it shows, who sees which button, and every action over plain POST and htmx."""

import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tasks import services
from tasks.models import Attachment, EventKind, ExtensionStatus, Task, TaskStatus
from tests.factories import days


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def jpeg(name="现场照片.jpg", size=(2400, 1800)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 90, 160)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def pdf(name="整改报告.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")


def page(client, task):
    return client.get(reverse("task-detail", args=[task.pk]))


def text(response) -> str:
    return response.content.decode()


def in_progress(world, **kwargs) -> Task:
    task = world.task(**kwargs)
    services.progress_report(task=task, by=world.wanan_official, percent=30, done="已启动排查")
    return task


def awaiting_close(world) -> Task:
    task = in_progress(world)
    services.task_request_close(task=task, by=world.wanan_official)
    return task


def with_pending_extension(world) -> Task:
    task = world.task()
    services.extension_request(task=task, by=world.wanan_official, new_deadline=days(20), reason="雪天停工")
    return task


def with_milestone(world) -> Task:
    task = world.task()
    services.milestone_add(task=task, by=world.office, title="完成隐患排查", due_date=days(5))
    return task


def fresh(task) -> Task:
    return Task.objects.get(pk=task.pk)


# ---- The page -----------------------------------------------------------------------------------


def test_the_page_shows_what_the_task_is(client, world):
    task = world.task(
        cooperating_units=[world.shanmu],
        responsible_leader=world.leader,
        description="排查全镇煤矿食堂、澡堂、会堂和宿舍",
        target="隐患清零",
    )
    services.milestone_add(task=task, by=world.office, title="完成隐患排查", due_date=days(5))
    client.force_login(world.wanan_official)
    html = text(page(client, task))
    for shown in (task.code, task.title, "万安镇", "山目乡", "县长", "安全生产专项行动", "隐患清零"):
        assert shown in html
    assert "排查全镇煤矿食堂" in html
    assert days(10).strftime("%Y-%m-%d") in html
    assert "剩10天" in html
    assert 'aria-valuenow="0"' in html
    assert "完成隐患排查" in html
    assert 'data-badge="status"' in html and "未开始" in html


def test_the_page_shows_flags_and_the_original_deadline(client, world):
    task = world.task(start_date=days(-20), deadline=days(-2))
    services.extension_request(task=task, by=world.wanan_official, new_deadline=days(3), reason="雪天停工")
    client.force_login(world.office)
    html = text(page(client, task))
    assert 'data-badge="overdue"' in html and "逾期2天" in html
    assert "待审批的延期申请" in html and "雪天停工" in html
    extension = task.extension_requests.get()
    services.extension_decide(extension=extension, by=world.office, approve=True)
    html = text(page(client, task))
    assert 'data-testid="original-deadline"' in html and days(-2).isoformat() in html
    assert 'data-badge="due_soon"' in html and 'data-badge="behind"' in html


def test_a_returned_task_carries_the_mark(client, world):
    task = awaiting_close(world)
    services.task_return(task=task, by=world.office, reason="照片不清楚")
    client.force_login(world.wanan_official)
    assert 'data-badge="returned"' in text(page(client, task))


def test_a_task_outside_my_scope_is_not_found(client, world):
    task = awaiting_close(world)
    client.force_login(world.other_official)
    assert page(client, task).status_code == 404
    assert client.post(reverse("task-close", args=[task.pk])).status_code == 404
    assert fresh(task).status == TaskStatus.AWAITING_CLOSE


def test_a_task_that_does_not_exist_is_not_found(client, world):
    client.force_login(world.office)
    assert client.get(reverse("task-detail", args=[999999])).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    task = world.task()
    response = page(client, task)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    response = client.post(reverse("task-close", args=[task.pk]))
    assert response.status_code == 302 and fresh(task).status == TaskStatus.NOT_STARTED


# ---- Every action: allowed users succeed, others see no button and get 403 ----------------------------


@dataclass
class Action:
    name: str  # data-action on the button
    setup: Callable  # world → task in the right state
    url: Callable  # (task) → url
    data: Callable  # (world, task) → POST data
    done: Callable  # (task after) → bool
    allowed: tuple[str, ...]
    denied: tuple[str, ...]
    message: str


def _extension_pk(task):
    return task.extension_requests.get(status=ExtensionStatus.PENDING).pk


def _milestone_pk(task):
    return task.milestones.get().pk


ACTIONS = [
    Action(
        "report",
        lambda w: w.task(cooperating_units=[w.shanmu]),
        lambda t: reverse("task-report", args=[t.pk]),
        lambda w, t: {"percent": 40, "done": "排查隐患3处", "problems": "", "next_steps": "整改"},
        lambda t: t.progress_reports.filter(done="排查隐患3处").exists(),
        ("wanan_official", "shanmu_official"),
        ("yingji_official", "office", "leader", "inspector"),
        "进度已填报。",
    ),
    Action(
        "milestone-complete",
        with_milestone,
        lambda t: reverse("task-milestone-complete", args=[t.pk, _milestone_pk(t)]),
        lambda w, t: {"milestone-done_on": days(0).isoformat()},
        lambda t: t.milestones.get().done_on == days(0),
        ("wanan_official", "office"),
        ("shanmu_official", "leader", "yingji_official"),
        "已完成",
    ),
    Action(
        "request-close",
        in_progress,
        lambda t: reverse("task-request-close", args=[t.pk]),
        lambda w, t: {"request_close-note": "已全部整改"},
        lambda t: t.status == TaskStatus.AWAITING_CLOSE,
        ("wanan_official",),
        ("office", "leader", "shanmu_official"),
        "已申请销号",
    ),
    Action(
        "extension-request",
        lambda w: w.task(),
        lambda t: reverse("task-extension-request", args=[t.pk]),
        lambda w, t: {"extension-new_deadline": days(20).isoformat(), "extension-reason": "雪天停工"},
        lambda t: t.extension_requests.filter(status=ExtensionStatus.PENDING).exists(),
        ("wanan_official",),
        ("office", "leader", "shanmu_official"),
        "延期申请已提交",
    ),
    Action(
        "extension-approve",
        with_pending_extension,
        lambda t: reverse("task-extension-decide", args=[t.pk, _extension_pk(t)]),
        lambda w, t: {"decide-decision": "approve", "decide-reason": ""},
        lambda t: t.deadline == days(20) and t.original_deadline == days(10),
        ("office",),
        ("wanan_official", "leader", "other_office"),
        "已批准延期",
    ),
    Action(
        "extension-reject",
        with_pending_extension,
        lambda t: reverse("task-extension-decide", args=[t.pk, _extension_pk(t)]),
        lambda w, t: {"decide-decision": "reject", "decide-reason": "理由不充分"},
        lambda t: t.extension_requests.get().status == ExtensionStatus.REJECTED and t.deadline == days(10),
        ("office",),
        ("wanan_official", "leader"),
        "已驳回延期申请",
    ),
    Action(
        "close",
        awaiting_close,
        lambda t: reverse("task-close", args=[t.pk]),
        lambda w, t: {"close-note": ""},
        lambda t: t.status == TaskStatus.CLOSED,
        ("office",),
        ("wanan_official", "shanmu_official", "leader", "inspector"),
        "任务已销号",
    ),
    Action(
        "return",
        awaiting_close,
        lambda t: reverse("task-return", args=[t.pk]),
        lambda w, t: {"return-reason": "照片不清楚"},
        lambda t: t.status == TaskStatus.IN_PROGRESS and t.returned,
        ("office",),
        ("wanan_official", "leader"),
        "已退回",
    ),
    Action(
        "cancel",
        lambda w: w.task(),
        lambda t: reverse("task-cancel", args=[t.pk]),
        lambda w, t: {"cancel-reason": "任务合并"},
        lambda t: t.status == TaskStatus.CANCELLED,
        ("office",),
        ("wanan_official", "leader"),
        "任务已撤销",
    ),
    Action(
        "instruction",
        lambda w: w.task(),
        lambda t: reverse("task-instruction", args=[t.pk]),
        lambda w, t: {"instruction-text": "抓紧整改,确保安全"},
        lambda t: t.instructions.filter(text="抓紧整改,确保安全").exists(),
        ("leader",),
        ("office", "wanan_official"),
        "批示已发出",
    ),
]

ALLOWED = [pytest.param(a, who, id=f"{a.name}-{who}") for a in ACTIONS for who in a.allowed]
DENIED = [pytest.param(a, who, id=f"{a.name}-{who}") for a in ACTIONS for who in a.denied]


@pytest.mark.parametrize(("action", "who"), ALLOWED)
def test_allowed_user_sees_the_button_and_the_action_works(client, world, action, who):
    task = action.setup(world)
    client.force_login(getattr(world, who))
    assert f'data-action="{action.name}"' in text(page(client, task))
    response = client.post(action.url(task), action.data(world, task))
    assert response.status_code == 302 and response.url == reverse("task-detail", args=[task.pk])
    assert action.done(fresh(task))
    followed = text(client.get(response.url))
    assert action.message in followed


@pytest.mark.parametrize(("action", "who"), DENIED)
def test_other_users_see_no_button_and_get_403(client, world, action, who):
    task = action.setup(world)
    client.force_login(getattr(world, who))
    response = page(client, task)
    if response.status_code == 200:
        assert f'data-action="{action.name}"' not in text(response)
    before = fresh(task)
    events = task.events.count()
    response = client.post(action.url(task), action.data(world, task))
    assert response.status_code in (403, 404)
    if page(client, task).status_code == 200:  # visible: a refusal, not a pretence it does not exist
        assert response.status_code == 403
    after = fresh(task)
    assert (after.status, after.progress, after.deadline) == (before.status, before.progress, before.deadline)
    assert task.events.count() == events


def test_township_official_sees_no_close_button_and_cannot_close(client, world):
    task = awaiting_close(world)
    client.force_login(world.wanan_official)
    html = text(page(client, task))
    assert 'data-action="close"' not in html and 'data-action="return"' not in html
    assert client.post(reverse("task-close", args=[task.pk])).status_code == 403
    assert fresh(task).status == TaskStatus.AWAITING_CLOSE


def test_a_closed_task_offers_no_actions(client, world):
    task = awaiting_close(world)
    services.task_close(task=task, by=world.office)
    for user in (world.office, world.wanan_official):
        client.force_login(user)
        html = text(page(client, task))
        assert 'data-action="' not in html.replace('data-action="instruction"', "")


# ---- Refusals the user can cause ---------------------------------------------------------------------------


def test_an_illegal_transition_shows_the_message_and_changes_nothing(client, world):
    task = in_progress(world)  # not awaiting close
    client.force_login(world.office)
    events = task.events.count()
    response = client.post(reverse("task-close", args=[task.pk]), follow=True)
    assert response.status_code == 200
    assert "不能销号" in text(response)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert fresh(task).status == TaskStatus.IN_PROGRESS and task.events.count() == events


def test_requesting_close_before_any_progress_is_refused_with_a_message(client, world):
    task = world.task()
    client.force_login(world.wanan_official)
    response = client.post(reverse("task-request-close", args=[task.pk]), follow=True)
    assert "不能申请销号" in text(response)
    assert fresh(task).status == TaskStatus.NOT_STARTED


def test_a_missing_reason_comes_back_as_a_field_error_with_the_form_open(client, world):
    task = awaiting_close(world)
    client.force_login(world.office)
    response = client.post(reverse("task-return", args=[task.pk]), {"return-reason": "  "})
    assert response.status_code == 200
    html = text(response)
    assert "请填写退回理由" in html and 'data-field-error="reason"' in html
    assert fresh(task).status == TaskStatus.AWAITING_CLOSE


def test_rejecting_an_extension_needs_a_reason(client, world):
    task = with_pending_extension(world)
    client.force_login(world.office)
    url = reverse("task-extension-decide", args=[task.pk, _extension_pk(task)])
    response = client.post(url, {"decide-decision": "reject", "decide-reason": ""})
    assert "请填写驳回理由" in text(response)
    assert task.extension_requests.get().status == ExtensionStatus.PENDING


def test_an_extension_to_an_earlier_date_is_a_field_error_and_keeps_the_reason(client, world):
    task = world.task()
    client.force_login(world.wanan_official)
    response = client.post(
        reverse("task-extension-request", args=[task.pk]),
        {"extension-new_deadline": days(5).isoformat(), "extension-reason": "雪天停工,无法施工"},
    )
    html = text(response)
    assert "申请的新时限必须晚于当前时限" in html and 'data-field-error="new_deadline"' in html
    assert "雪天停工,无法施工" in html
    assert not task.extension_requests.exists()


def test_ticking_a_milestone_in_the_future_is_refused(client, world):
    task = with_milestone(world)
    client.force_login(world.wanan_official)
    url = reverse("task-milestone-complete", args=[task.pk, _milestone_pk(task)])
    response = client.post(url, {"milestone-done_on": days(3).isoformat()})
    assert "完成日期不能晚于今天" in text(response)
    assert task.milestones.get().done_on is None


def test_ticking_a_done_milestone_again_is_a_message(client, world):
    task = with_milestone(world)
    services.milestone_complete(milestone=task.milestones.get(), by=world.office)
    client.force_login(world.wanan_official)
    url = reverse("task-milestone-complete", args=[task.pk, _milestone_pk(task)])
    response = client.post(url, {}, follow=True)
    assert "已于" in text(response) and "完成" in text(response)


# ---- The progress report form ------------------------------------------------------------------------------


REPORT = {
    "percent": "45",
    "done": "排查井下隐患3处,已整改2处",
    "problems": "资金缺口",
    "next_steps": "月底前完成",
}


def test_the_report_page_works_without_javascript(client, world):
    task = world.task()
    client.force_login(world.wanan_official)
    response = client.get(reverse("task-report", args=[task.pk]))
    assert response.status_code == 200
    html = text(response)
    assert 'type="file"' in html and "multiple" in html and 'enctype="multipart/form-data"' in html
    assert "hx-post" not in html
    response = client.post(reverse("task-report", args=[task.pk]), {**REPORT, "attachments": [jpeg(), pdf()]})
    assert response.status_code == 302
    task = fresh(task)
    assert task.progress == 45 and task.status == TaskStatus.IN_PROGRESS
    report = task.progress_reports.get()
    assert (report.done, report.problems, report.next_steps) == (REPORT["done"], "资金缺口", "月底前完成")
    assert sorted(a.content_type for a in report.attachments.all()) == ["application/pdf", "image/jpeg"]


def test_a_pdf_is_accepted_and_listed_with_its_name_and_size(client, world):
    task = world.task()
    client.force_login(world.wanan_official)
    client.post(reverse("task-report", args=[task.pk]), {**REPORT, "attachments": [pdf()]})
    html = text(page(client, task))
    attachment = Attachment.objects.get()
    assert "整改报告.pdf" in html and reverse("attachment-download", args=[attachment.pk]) in html
    assert "15" in html  # bytes


def test_a_photo_shows_as_a_thumbnail_linking_to_the_web_copy(client, world):
    task = world.task()
    client.force_login(world.wanan_official)
    client.post(reverse("task-report", args=[task.pk]), {**REPORT, "attachments": [jpeg()]})
    attachment = Attachment.objects.get()
    assert attachment.thumbnail and attachment.web_copy
    html = text(page(client, task))
    assert f'src="{reverse("attachment-thumbnail", args=[attachment.pk])}"' in html
    assert f'href="{reverse("attachment-web", args=[attachment.pk])}"' in html


def _assert_typed_text_kept(html):
    for value in ("排查井下隐患3处,已整改2处", "资金缺口", "月底前完成", 'value="45"'):
        assert value in html
    assert "请重新选择文件" in html


def test_a_jpg_that_is_really_text_is_refused_and_the_typed_text_stays(client, world):
    task = world.task()
    client.force_login(world.wanan_official)
    fake = SimpleUploadedFile("现场照片.jpg", "这不是图片".encode(), content_type="image/jpeg")
    response = client.post(
        reverse("task-report", args=[task.pk]), {**REPORT, "attachments": [jpeg("真照片.jpg"), fake]}
    )
    assert response.status_code == 200
    html = text(response)
    assert "“现场照片.jpg”的内容不是允许的文件类型" in html
    _assert_typed_text_kept(html)
    assert not task.progress_reports.exists() and not Attachment.objects.exists()


def test_an_11_mb_file_is_refused_and_the_typed_text_stays(client, world):
    task = world.task()
    client.force_login(world.wanan_official)
    big = SimpleUploadedFile(
        "大文件.pdf", b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024), content_type="application/pdf"
    )
    response = client.post(reverse("task-report", args=[task.pk]), {**REPORT, "attachments": [big]})
    html = text(response)
    assert "“大文件.pdf”有 11.0" in html and "10 MB" in html
    _assert_typed_text_kept(html)
    assert not task.progress_reports.exists()


def test_eleven_files_are_refused(client, world):
    task = world.task()
    client.force_login(world.wanan_official)
    files = [pdf(f"报告{i}.pdf") for i in range(11)]
    response = client.post(reverse("task-report", args=[task.pk]), {**REPORT, "attachments": files})
    assert "一次最多上传 10 个文件" in text(response)
    assert not task.progress_reports.exists()


def test_a_missing_field_keeps_the_rest_and_asks_to_reselect_files(client, world):
    task = world.task()
    client.force_login(world.wanan_official)
    response = client.post(
        reverse("task-report", args=[task.pk]), {**REPORT, "done": "", "attachments": [pdf()]}
    )
    html = text(response)
    assert 'data-field-error="done"' in html and "请重新选择文件" in html and "资金缺口" in html


def test_lowering_progress_needs_a_reason(client, world):
    task = in_progress(world)  # 30 %
    client.force_login(world.wanan_official)
    url = reverse("task-report", args=[task.pk])
    response = client.post(url, {**REPORT, "percent": "20"})
    assert response.status_code == 200
    assert 'data-field-error="lowering_reason"' in text(response) and "30%" in text(response)
    assert fresh(task).progress == 30
    response = client.post(url, {**REPORT, "percent": "20", "lowering_reason": "复核发现2处未整改到位"})
    assert response.status_code == 302
    report = task.progress_reports.order_by("-id").first()
    assert report.problems.startswith("【进度下调原因】复核发现2处未整改到位")
    assert report.problems.endswith("资金缺口")
    assert fresh(task).progress == 20


def test_refused_lowering_stores_no_report_nor_file_and_asks_for_the_file_again(client, world):
    task = in_progress(world)  # 30 %
    client.force_login(world.wanan_official)
    reports, files = task.progress_reports.count(), task.attachments.count()

    response = client.post(
        reverse("task-report", args=[task.pk]), {**REPORT, "percent": "20", "attachments": [pdf()]}
    )

    html = text(response)
    assert 'data-field-error="lowering_reason"' in html and "请重新选择文件" in html
    assert (task.progress_reports.count(), task.attachments.count(), fresh(task).progress) == (
        reports,
        files,
        30,
    )


def test_raising_progress_needs_no_reason(client, world):
    task = in_progress(world)
    client.force_login(world.wanan_official)
    response = client.post(reverse("task-report", args=[task.pk]), {**REPORT, "percent": "30"})
    assert response.status_code == 302
    assert "进度下调原因" not in task.progress_reports.order_by("-id").first().problems


def test_a_cooperating_unit_is_held_to_its_own_last_percent(client, world):
    task = world.task(cooperating_units=[world.shanmu])
    services.progress_report(task=task, by=world.shanmu_official, percent=60, done="配合排查")
    client.force_login(world.shanmu_official)
    response = client.post(reverse("task-report", args=[task.pk]), {**REPORT, "percent": "50"})
    assert 'data-field-error="lowering_reason"' in text(response)


# ---- htmx ----------------------------------------------------------------------------------------------------


HTMX = {"HTTP_HX_REQUEST": "true"}


def test_htmx_gets_the_page_body_only(client, world):
    task = world.task()
    client.force_login(world.wanan_official)
    response = client.get(reverse("task-detail", args=[task.pk]), **HTMX)
    html = text(response)
    assert 'id="task-body"' in html and "<html" not in html and "navbar" not in html


def test_an_htmx_action_answers_the_fresh_body_with_the_message(client, world):
    task = awaiting_close(world)
    client.force_login(world.office)
    response = client.post(reverse("task-close", args=[task.pk]), {"close-note": ""}, **HTMX)
    assert response.status_code == 200
    html = text(response)
    assert html.lstrip().startswith('<div id="task-body"') and "<html" not in html
    assert "任务已销号" in html and "已销号" in html and 'data-action="close"' not in html
    assert fresh(task).status == TaskStatus.CLOSED


def test_an_htmx_report_with_errors_keeps_the_form_open_inline(client, world):
    task = world.task()
    client.force_login(world.wanan_official)
    fake = SimpleUploadedFile("现场照片.jpg", b"\xff\xd8\xff\xe0 jpeg", content_type="image/jpeg")
    response = client.post(reverse("task-report", args=[task.pk]), {**REPORT, "attachments": [fake]}, **HTMX)
    assert response.status_code == 200  # htmx swaps only 2xx answers
    html = text(response)
    assert "<html" not in html and 'data-testid="report-panel"' in html and " open " in html.replace(">", " ")
    _assert_typed_text_kept(html)


def test_an_htmx_illegal_transition_shows_the_message_in_the_body(client, world):
    task = in_progress(world)
    client.force_login(world.office)
    response = client.post(reverse("task-return", args=[task.pk]), {"return-reason": "照片不清楚"}, **HTMX)
    assert response.status_code == 200
    assert "不能退回" in text(response) and "alert-danger" in text(response)


def test_the_report_form_on_the_page_posts_with_htmx_and_without(client, world):
    task = world.task()
    client.force_login(world.wanan_official)
    html = text(page(client, task))
    url = reverse("task-report", args=[task.pk])
    assert (
        f'action="{url}"' in html and f'hx-post="{url}"' in html and 'enctype="multipart/form-data"' in html
    )


# ---- The timeline -------------------------------------------------------------------------------------------


def test_the_timeline_shows_each_action_newest_first(client, world):
    task = world.task(cooperating_units=[world.shanmu])
    services.milestone_add(task=task, by=world.office, title="完成隐患排查", due_date=days(5))
    steps = [
        (world.wanan_official, reverse("task-report", args=[task.pk]), {**REPORT, "attachments": [jpeg()]}),
        (world.wanan_official, reverse("task-milestone-complete", args=[task.pk, _milestone_pk(task)]), {}),
        (
            world.wanan_official,
            reverse("task-extension-request", args=[task.pk]),
            {"extension-new_deadline": days(20).isoformat(), "extension-reason": "雪天停工"},
        ),
        (world.leader, reverse("task-instruction", args=[task.pk]), {"instruction-text": "抓紧整改"}),
    ]
    for user, url, data in steps:
        client.force_login(user)
        assert client.post(url, data).status_code == 302
    client.force_login(world.office)
    url = reverse("task-extension-decide", args=[task.pk, _extension_pk(task)])
    assert client.post(url, {"decide-decision": "reject", "decide-reason": "理由不充分"}).status_code == 302
    client.force_login(world.wanan_official)
    assert client.post(reverse("task-request-close", args=[task.pk]), {}).status_code == 302
    client.force_login(world.office)
    assert (
        client.post(reverse("task-return", args=[task.pk]), {"return-reason": "照片不清楚"}).status_code
        == 302
    )
    client.force_login(world.wanan_official)
    assert client.post(reverse("task-request-close", args=[task.pk]), {}).status_code == 302
    client.force_login(world.office)
    assert client.post(reverse("task-close", args=[task.pk]), {}).status_code == 302
    html = text(page(client, task))
    expected = [
        EventKind.CLOSED,
        EventKind.CLOSE_REQUESTED,
        EventKind.RETURNED,
        EventKind.CLOSE_REQUESTED,
        EventKind.EXTENSION_REJECTED,
        EventKind.INSTRUCTION_WRITTEN,
        EventKind.EXTENSION_REQUESTED,
        EventKind.MILESTONE_DONE,
        EventKind.PROGRESS_REPORTED,
        EventKind.MILESTONE_ADDED,
        EventKind.CREATED,
    ]
    import re

    shown = re.findall(r'data-event="([a-z_]+)"', html)
    assert shown == [str(kind) for kind in expected]
    for note in ("照片不清楚", "理由不充分", "抓紧整改", "雪天停工", REPORT["done"]):
        assert note in html
    assert "县长" in html and "督查室主任" in html


def test_cancelling_shows_on_the_timeline(client, world):
    task = world.task()
    client.force_login(world.office)
    client.post(reverse("task-cancel", args=[task.pk]), {"cancel-reason": "任务合并"})
    html = text(page(client, task))
    assert 'data-event="cancelled"' in html and "任务合并" in html


# ---- Queries ------------------------------------------------------------------------------------------------


def _grow(world, task, n, start=0):
    for i in range(start, start + n):
        services.milestone_add(task=task, by=world.office, title=f"节点{i}", due_date=days(1 + i % 5))
        services.attachment_add(task=task, by=world.wanan_official, file=pdf(f"材料{i}.pdf"))
        services.attachment_add(task=task, by=world.wanan_official, file=jpeg(f"照片{i}.jpg", size=(40, 30)))


@pytest.mark.parametrize("who", ["wanan_official", "office", "shanmu_official"])
def test_the_page_runs_a_fixed_number_of_queries(client, world, who, django_assert_num_queries):
    task = world.task(cooperating_units=[world.shanmu])
    _grow(world, task, 1)
    services.extension_request(task=task, by=world.wanan_official, new_deadline=days(20), reason="雪天停工")
    client.force_login(getattr(world, who))
    page(client, task)  # warm the session
    with django_assert_num_queries(QUERIES[who]) as few:
        assert page(client, task).status_code == 200
    _grow(world, task, 9, start=1)
    for i in range(9):
        services.instruction_write(task=task, by=world.leader, text=f"批示{i}")
    assert task.events.count() >= 30 and task.milestones.count() == 10 and task.attachments.count() == 20
    with django_assert_num_queries(len(few.captured_queries)):
        assert page(client, task).status_code == 200


# session, user, access (a township's home region; the office's group scopes), task, cooperations,
# milestones, attachments, events, pending extension, each unit's latest report (which also gives a
# cooperating unit's report form its own last percent), nav campaigns, current campaign, the bell's
# unread count.
QUERIES = {"wanan_official": 13, "office": 13, "shanmu_official": 13}


# ---- Close-out request: what is still open ----------------------------------------------------------------


def _open_order(world, task, number_hint="整改"):
    from supervision.services import order_issue

    return order_issue(
        group=world.group,
        by=world.inspector,
        unit=world.wanan,
        problem="台账未更新",
        requirement=number_hint,
        deadline=days(5),
        tasks=[task],
    )


def test_the_close_out_request_lists_open_milestones_and_open_orders(client, world):
    task = in_progress(world)
    open_milestone = services.milestone_add(
        task=task, by=world.office, title="完成井下排查", due_date=days(3)
    )
    done = services.milestone_add(task=task, by=world.office, title="制定方案", due_date=days(1))
    services.milestone_complete(milestone=done, by=world.wanan_official, done_on=days(0))
    order = _open_order(world, task)
    client.force_login(world.wanan_official)
    html = text(page(client, task))
    warning = html[html.index('data-testid="close-out-warnings"') :]
    warning = warning[: warning.index("</div>")]
    assert open_milestone.title in warning
    assert "制定方案" not in warning
    assert order.number in warning and reverse("order-detail", args=[order.pk]) in warning


def test_the_close_out_request_is_still_allowed_with_open_items(client, world):
    task = in_progress(world)
    services.milestone_add(task=task, by=world.office, title="完成井下排查", due_date=days(3))
    _open_order(world, task)
    client.force_login(world.wanan_official)
    client.post(reverse("task-request-close", args=[task.pk]), {"request_close-note": "节点已实际完成"})
    task.refresh_from_db()
    assert task.status == TaskStatus.AWAITING_CLOSE


def test_no_warning_when_nothing_is_open(client, world):
    task = in_progress(world)
    done = services.milestone_add(task=task, by=world.office, title="制定方案", due_date=days(1))
    services.milestone_complete(milestone=done, by=world.wanan_official, done_on=days(0))
    order = _open_order(world, other := world.task(title="另一项任务"))
    assert other != task and order
    client.force_login(world.wanan_official)
    html = text(page(client, task))
    assert 'data-action="request-close"' in html
    assert 'data-testid="close-out-warnings"' not in html


# ---- Downloads ----------------------------------------------------------------------------------------------


@pytest.fixture
def photo_attachment(world):
    task = world.task()
    return services.attachment_add(task=task, by=world.wanan_official, file=jpeg("现场 照片.jpg"))


@pytest.mark.parametrize("who", ["wanan_official", "office", "leader", "shanmu_official", "inspector"])
def test_people_who_see_the_task_download_its_files(client, world, photo_attachment, who):
    client.force_login(getattr(world, who))
    response = client.get(reverse("attachment-download", args=[photo_attachment.pk]))
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E7%8E%B0%E5%9C%BA%20%E7%85%A7%E7%89%87.jpg" in response["Content-Disposition"]
    with photo_attachment.file.open("rb") as stored:
        assert b"".join(response.streaming_content) == stored.read()
    for name in ("attachment-thumbnail", "attachment-web"):
        response = client.get(reverse(name, args=[photo_attachment.pk]))
        assert response.status_code == 200
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Type"] == "image/jpeg"
        assert response["Content-Disposition"].startswith("inline")


@pytest.mark.parametrize("name", ["attachment-download", "attachment-thumbnail", "attachment-web"])
def test_people_who_cannot_see_the_task_get_404(client, world, photo_attachment, name):
    client.force_login(world.other_official)
    assert client.get(reverse(name, args=[photo_attachment.pk])).status_code == 404
    client.logout()
    response = client.get(reverse(name, args=[photo_attachment.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_document_has_no_thumbnail_or_web_copy(client, world):
    attachment = services.attachment_add(task=world.task(), by=world.wanan_official, file=pdf())
    client.force_login(world.office)
    assert client.get(reverse("attachment-thumbnail", args=[attachment.pk])).status_code == 404
    assert client.get(reverse("attachment-web", args=[attachment.pk])).status_code == 404
    response = client.get(reverse("attachment-download", args=[attachment.pk]))
    assert response["Content-Type"] == "application/pdf" and response["X-Content-Type-Options"] == "nosniff"


def test_the_page_is_in_english_on_request(client, world):
    task = world.task()
    client.force_login(world.wanan_official)
    response = client.get(reverse("task-detail", args=[task.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "en"


def test_success_messages_use_django_messages(client, world):
    task = world.task()
    client.force_login(world.leader)
    response = client.post(reverse("task-instruction", args=[task.pk]), {"instruction-text": "抓紧"})
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["批示已发出。"]


# ---- Each unit's reports (lead and 配合) -------------------------------------------------------------


def _unit_row(html: str, unit) -> str:
    import re

    match = re.search(rf'<tr data-unit-report="{unit.pk}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {unit}"
    return match.group(1)


def test_the_page_shows_each_units_latest_report_with_its_problems_and_next_steps(client, world):
    task = world.task(cooperating_units=[world.shanmu, world.yingji])
    services.progress_report(task=task, by=world.wanan_official, percent=20, done="第一次排查")
    services.progress_report(
        task=task,
        by=world.wanan_official,
        percent=45,
        done="排查煤矿 6 家",
        problems="两家煤矿宿舍消防通道堵塞",
        next_steps="下周复查整改",
    )
    services.progress_report(
        task=task,
        by=world.shanmu_official,
        percent=80,
        done="配合排查 3 家",
        problems="缺少检测仪器",
        next_steps="向县应急局借用",
    )
    client.force_login(world.office)
    html = text(page(client, task))

    lead = _unit_row(html, world.wanan)
    assert "45%" in lead and "排查煤矿 6 家" in lead and "两家煤矿宿舍消防通道堵塞" in lead
    assert "下周复查整改" in lead and "第一次排查" not in lead
    shanmu = _unit_row(html, world.shanmu)
    assert "80%" in shanmu and "缺少检测仪器" in shanmu and "向县应急局借用" in shanmu
    assert 'data-badge="cooperating"' in shanmu
    assert "尚未填报" in _unit_row(html, world.yingji)
    # The task's percent is the lead unit's, and the page says so.
    assert 'data-testid="progress-source"' in html and "任务进度取牵头单位最近一次填报的进度" in html
    task.refresh_from_db()
    assert task.progress == 45


def test_the_timeline_marks_a_cooperating_units_report(client, world):
    task = world.task(cooperating_units=[world.shanmu])
    services.progress_report(task=task, by=world.wanan_official, percent=30, done="牵头单位填报")
    services.progress_report(task=task, by=world.shanmu_official, percent=70, done="配合单位填报")
    client.force_login(world.wanan_official)
    html = text(page(client, task))

    timeline = html[html.index('id="task-timeline"') :]
    reports = timeline.split('data-event="progress_reported"')[1:]
    assert len(reports) == 2
    newest, oldest = reports  # newest first
    assert 'data-badge="cooperating-report"' in newest and "山目乡" in newest and "配合单位填报" in newest
    assert 'data-badge="cooperating-report"' not in oldest.split("</li>")[0]
