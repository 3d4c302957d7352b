"""The office's reminder settings: rules, working-day calendar, notification channels, failed deliveries."""

import datetime

import pytest
from django.urls import reverse

from supervision import reminders, workdays
from supervision.models import CalendarDay, Delivery, DeliveryState, NotifyEndpoint, ReminderPolicy
from supervision.services import chase_task

WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=6f1c2d3e-secret-robot-key"

PAGES = ["office-reminders", "office-calendar", "office-endpoints", "office-deliveries"]


def policy_form(**overrides):
    data = {
        "enabled": "on",
        "due_soon_first": 5,
        "due_soon_second": 2,
        "overdue_repeat_days": 2,
        "escalate_after_days": 4,
        "stale_report_days": 10,
    }
    data.update(overrides)
    return data


def endpoint(world, unit=None, channel="wecom", address=WECOM, **kwargs):
    return NotifyEndpoint.objects.create(unit=unit or world.wanan, channel=channel, address=address, **kwargs)


def failed_delivery(world, address=WECOM):
    """A WeCom robot of 万安镇 that kept refusing the chase of one of its tasks."""
    endpoint(world, address=address)
    chase_task(task=world.task(), by=world.office)
    delivery = Delivery.objects.get()
    Delivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.FAILED, attempts=6, last_error="errcode 93000: invalid webhook url"
    )
    delivery.refresh_from_db()
    return delivery


# ---- Who may use them ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_the_countys_office_opens_every_page(client, world, name):
    client.force_login(world.office)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert 'data-testid="office-nav"' in response.content.decode()


def test_the_office_nav_links_the_pages(client, world):
    client.force_login(world.office)
    html = client.get(reverse("office")).content.decode()
    for name in PAGES:
        assert reverse(name) in html, name


@pytest.mark.parametrize("who", ["wanan_official", "leader", "inspector"])
def test_others_get_403_on_every_page_and_post(client, world, who):
    client.force_login(getattr(world, who))
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 403, name
    assert client.post(reverse("office-reminders"), policy_form()).status_code == 403
    calendar = {"date": "2026-12-14", "working": "0", "name": "临时放假"}
    assert client.post(reverse("office-calendar"), calendar).status_code == 403
    owner = {"owner": f"unit:{world.wanan.pk}", "channel": "email", "address": "wanan@example.com"}
    assert client.post(reverse("office-endpoints"), owner).status_code == 403
    assert not ReminderPolicy.objects.filter(due_soon_first=5).exists()
    assert not CalendarDay.objects.filter(from_package=False).exists()
    assert not NotifyEndpoint.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(reverse("office-reminders"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_another_countys_office_changes_nothing_of_ours(client, world):
    delivery = failed_delivery(world)
    ours = delivery.endpoint
    client.force_login(world.other_office)
    assert client.post(reverse("office-reminders"), policy_form()).status_code == 403
    assert client.post(reverse("office-calendar"), {"date": "2026-12-14", "working": "0"}).status_code == 400
    response = client.post(
        reverse("office-endpoints"),
        {"owner": f"unit:{world.wanan.pk}", "channel": "email", "address": "wanan@example.com"},
    )
    assert response.status_code == 400
    assert client.post(reverse("office-endpoint-toggle", args=[ours.pk])).status_code == 404
    assert client.post(reverse("office-endpoint-delete", args=[ours.pk])).status_code == 404
    assert 'data-testid="endpoints"' not in client.get(reverse("office-endpoints")).content.decode()
    assert client.get(reverse("office-deliveries")).context["rows"] == []
    assert client.post(reverse("office-delivery-retry", args=[delivery.pk])).status_code == 404
    assert not ReminderPolicy.objects.filter(due_soon_first=5).exists()
    assert not CalendarDay.objects.filter(from_package=False).exists()
    assert NotifyEndpoint.objects.count() == 1 and NotifyEndpoint.objects.get(pk=ours.pk).enabled
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED


# ---- 提醒规则 -------------------------------------------------------------------------------------------


def test_the_office_changes_the_campaigns_rules(client, world):
    client.force_login(world.office)
    response = client.post(reverse("office-reminders"), policy_form(enabled=""))
    assert response.status_code == 302
    policy = ReminderPolicy.objects.get(campaign=world.campaign)
    assert (policy.enabled, policy.due_soon_first, policy.due_soon_second) == (False, 5, 2)
    assert (policy.overdue_repeat_days, policy.escalate_after_days, policy.stale_report_days) == (2, 4, 10)
    assert policy.updated_by == world.office
    assert "提醒规则已保存。" in client.get(reverse("office-reminders")).content.decode()


def test_the_form_shows_the_defaults(client, world):
    client.force_login(world.office)
    form = client.get(reverse("office-reminders")).context["form"]
    assert form["due_soon_first"].value() == 3 and form["stale_report_days"].value() == 7


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"due_soon_second": 5}, "第一次临期提醒须早于第二次。"),
        ({"due_soon_second": 7}, "第一次临期提醒须早于第二次。"),
        ({"overdue_repeat_days": 0}, "天数须至少为 1。"),
        ({"stale_report_days": 0}, "天数须至少为 1。"),
        ({"escalate_after_days": "三"}, "输入整数。"),
        ({"due_soon_first": -1}, "确保该值大于或等于0。"),
    ],
)
def test_bad_rules_are_refused_in_chinese_and_nothing_is_saved(client, world, bad, message):
    client.force_login(world.office)
    response = client.post(reverse("office-reminders"), policy_form(**bad))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ReminderPolicy.objects.filter(due_soon_first=5).exists()


# ---- 工作日历 -------------------------------------------------------------------------------------------


def test_a_year_is_filled_on_first_view(client, world):
    CalendarDay.objects.filter(date__year=2027).delete()
    client.force_login(world.office)
    response = client.get(reverse("office-calendar"), {"year": 2027})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-date="2027-10-01"' in html  # 国庆节, a Friday
    assert CalendarDay.objects.filter(date__year=2027, from_package=True).exists()


def test_the_office_adds_a_day_off_and_a_make_up_day(client, world):
    client.force_login(world.office)
    response = client.post(
        reverse("office-calendar"), {"date": "2026-12-14", "working": "0", "name": "临时放假"}
    )
    assert response.status_code == 302 and response.url.endswith("?year=2026")
    client.post(reverse("office-calendar"), {"date": "2026-12-19", "working": "1", "name": "调休上班"})
    assert not workdays.is_working_day(datetime.date(2026, 12, 14))
    assert workdays.is_working_day(datetime.date(2026, 12, 19))
    html = client.get(reverse("office-calendar"), {"year": 2026}).content.decode()
    assert "临时放假" in html and 'data-action="remove-day"' in html


def test_the_office_changes_a_holiday(client, world):
    client.force_login(world.office)
    client.get(reverse("office-calendar"), {"year": 2026})
    assert not workdays.is_working_day(datetime.date(2026, 10, 1))
    client.post(reverse("office-calendar"), {"date": "2026-10-01", "working": "1", "name": "值班"})
    day = CalendarDay.objects.get(date=datetime.date(2026, 10, 1))
    assert day.working and not day.from_package and day.name == "值班"


def test_removing_an_office_day_brings_back_the_package_day(client, world):
    client.force_login(world.office)
    client.post(reverse("office-calendar"), {"date": "2026-10-01", "working": "1", "name": "值班"})
    client.post(reverse("office-calendar"), {"date": "2026-12-14", "working": "0", "name": "临时放假"})
    client.post(reverse("office-calendar-remove"), {"date": "2026-10-01"})
    client.post(reverse("office-calendar-remove"), {"date": "2026-12-14"})
    assert not CalendarDay.objects.filter(date=datetime.date(2026, 12, 14)).exists()
    assert CalendarDay.objects.get(date=datetime.date(2026, 10, 1)).from_package
    assert not workdays.is_working_day(datetime.date(2026, 10, 1))


def test_a_package_day_cannot_be_removed(client, world):
    client.force_login(world.office)
    client.get(reverse("office-calendar"), {"year": 2026})
    response = client.post(reverse("office-calendar-remove"), {"date": "2026-10-01"}, follow=True)
    assert "只能删除督查室自行设置的日期。" in response.content.decode()
    assert CalendarDay.objects.filter(date=datetime.date(2026, 10, 1)).exists()


@pytest.mark.parametrize("bad", [{"date": "2026-13-40"}, {"date": ""}, {"working": "maybe"}])
def test_a_bad_day_changes_nothing(client, world, bad):
    client.force_login(world.office)
    data = {"date": "2026-12-14", "working": "0", "name": "临时放假", **bad}
    assert client.post(reverse("office-calendar"), data).status_code == 400
    assert not CalendarDay.objects.filter(from_package=False).exists()


# ---- 通知渠道 -------------------------------------------------------------------------------------------


def add(client, world, owner=None, **data):
    return client.post(
        reverse("office-endpoints"),
        {
            "owner": owner or f"unit:{world.wanan.pk}",
            "channel": "email",
            "address": "wanan@example.com",
            **data,
        },
    )


def test_the_office_adds_a_units_mailbox_and_a_groups_robot(client, world):
    client.force_login(world.office)
    assert add(client, world).status_code == 302
    assert NotifyEndpoint.objects.get(unit=world.wanan).address == "wanan@example.com"
    city = client.get(reverse("office-endpoints"))
    assert f"group:{world.group.pk}" not in city.content.decode()  # the city's group, not the county's
    client.force_login(world.city_office)
    response = add(
        client,
        world,
        owner=f"group:{world.group.pk}",
        channel="dingtalk",
        address="https://oapi.dingtalk.com/robot/send?access_token=t0ken",
        secret="SECabc",
    )
    assert response.status_code == 302
    robot = NotifyEndpoint.objects.get(group=world.group)
    assert robot.secret == "SECabc"
    html = client.get(reverse("office-endpoints")).content.decode()
    assert "https://oapi.dingtalk.com/robot/send?…" in html
    assert "t0ken" not in html and "SECabc" not in html


def test_a_webhook_key_is_never_shown(client, world):
    endpoint(world)
    client.force_login(world.office)
    html = client.get(reverse("office-endpoints")).content.decode()
    assert "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?…" in html
    assert "secret-robot-key" not in html


@pytest.mark.parametrize(
    "channel, address, message",
    [
        ("email", "not-an-address", "请输入有效的邮箱地址。"),
        ("wecom", "http://127.0.0.1:8123/hook", "只允许以下主机的机器人地址"),
        ("wecom", "ftp://qyapi.weixin.qq.com/send", "Webhook 地址须以 https:// 开头。"),
        (
            "dingtalk",
            "http://oapi.dingtalk.com/robot/send?access_token=x",
            "Webhook 地址须以 https:// 开头。",
        ),
    ],
)
def test_a_bad_address_is_refused_in_chinese_and_nothing_is_saved(client, world, channel, address, message):
    client.force_login(world.office)
    response = add(client, world, channel=channel, address=address)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not NotifyEndpoint.objects.exists()


def test_a_webhook_into_the_intranet_is_refused(client, world, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["10.1.2.3"]
    client.force_login(world.office)
    response = add(client, world, channel="wecom", address="https://10.1.2.3/cgi-bin/webhook/send?key=k")
    assert response.status_code == 400
    assert "Webhook 地址不能指向内网或本机地址。" in response.content.decode()
    assert not NotifyEndpoint.objects.exists()


def test_the_test_suites_receiver_on_127_0_0_1_passes_when_listed(client, world, settings):
    settings.WEBHOOK_TEST_HOSTS = ["127.0.0.1:8123"]
    client.force_login(world.office)
    assert add(client, world, channel="wecom", address="http://127.0.0.1:8123/hook").status_code == 302
    assert NotifyEndpoint.objects.get().address == "http://127.0.0.1:8123/hook"


def test_a_unit_outside_the_region_is_not_offered(client, world):
    client.force_login(world.office)
    response = add(client, world, owner=f"unit:{world.other_town.pk}")
    assert response.status_code == 400
    assert not NotifyEndpoint.objects.exists()


def test_the_same_channel_twice_is_refused(client, world):
    client.force_login(world.office)
    add(client, world)
    response = add(client, world)
    assert response.status_code == 400 and "已有相同的通知渠道。" in response.content.decode()
    assert NotifyEndpoint.objects.count() == 1


def test_the_office_disables_enables_and_deletes_a_channel(client, world):
    robot = endpoint(world)
    client.force_login(world.office)
    client.post(reverse("office-endpoint-toggle", args=[robot.pk]))
    assert not NotifyEndpoint.objects.get(pk=robot.pk).enabled
    client.post(reverse("office-endpoint-toggle", args=[robot.pk]))
    assert NotifyEndpoint.objects.get(pk=robot.pk).enabled
    client.post(reverse("office-endpoint-delete", args=[robot.pk]))
    assert not NotifyEndpoint.objects.exists()


def test_toggling_needs_a_post(client, world):
    robot = endpoint(world)
    client.force_login(world.office)
    assert client.get(reverse("office-endpoint-toggle", args=[robot.pk])).status_code == 405


# ---- 发送记录 -------------------------------------------------------------------------------------------


def test_the_failed_deliveries_page_lists_a_failed_delivery_without_its_key(client, world):
    delivery = failed_delivery(world)
    client.force_login(world.office)
    response = client.get(reverse("office-deliveries"), {"state": "failed"})
    html = response.content.decode()
    assert f'data-delivery="{delivery.pk}"' in html
    assert "errcode 93000" in html and "企业微信群机器人" in html and "万安镇" in html
    assert "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?…" in html
    assert "secret-robot-key" not in html
    assert 'data-action="retry"' in html


def test_the_retry_button_puts_it_back_in_the_queue(client, world):
    delivery = failed_delivery(world)
    client.force_login(world.office)
    response = client.post(reverse("office-delivery-retry", args=[delivery.pk]))
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.enqueued_at) == (DeliveryState.PENDING, 0, None)
    assert client.get(reverse("office-deliveries")).context["rows"] == []
    pending = client.get(reverse("office-deliveries"), {"state": "pending"})
    assert [row["delivery"].pk for row in pending.context["rows"]] == [delivery.pk]
    assert 'data-action="retry"' not in pending.content.decode()


def test_a_unit_official_cannot_retry(client, world):
    delivery = failed_delivery(world)
    client.force_login(world.wanan_official)
    assert client.post(reverse("office-delivery-retry", args=[delivery.pk])).status_code == 403
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED


def test_the_city_office_sees_the_countys_failures(client, world):
    delivery = failed_delivery(world)
    client.force_login(world.city_office)
    rows = client.get(reverse("office-deliveries")).context["rows"]
    assert [row["delivery"].pk for row in rows] == [delivery.pk]


def test_the_deliveries_page_is_a_fixed_number_of_queries(client, world, django_assert_num_queries):
    failed_delivery(world)
    client.force_login(world.office)
    client.get(reverse("office-deliveries"))  # warm the session
    # session, user, access, nav ×2, bell, count, page
    with django_assert_num_queries(8) as few:
        assert len(client.get(reverse("office-deliveries")).context["rows"]) == 1
    task = world.task(title="第二项任务")
    endpoint(world, unit=world.shanmu, channel="email", address="shanmu@example.com")
    for _ in range(5):
        chase_task(task=task, by=world.office)
    Delivery.objects.update(state=DeliveryState.FAILED, attempts=6, last_error="HTTP 404")
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(client.get(reverse("office-deliveries")).context["rows"]) == 6


# ---- The admin ------------------------------------------------------------------------------------------


def test_the_admin_lists_the_reminder_models_to_the_office_with_keys_masked(client, world):
    delivery = failed_delivery(world)
    client.force_login(world.office)
    for model in ("reminderpolicy", "calendarday", "notifyendpoint", "notification", "inboxitem", "delivery"):
        assert client.get(reverse(f"admin:supervision_{model}_changelist")).status_code == 200, model
    for url in (
        reverse("admin:supervision_delivery_change", args=[delivery.pk]),
        reverse("admin:supervision_notifyendpoint_change", args=[delivery.endpoint_id]),
        reverse("admin:supervision_delivery_changelist"),
    ):
        html = client.get(url).content.decode()
        assert "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?…" in html, url
        assert "secret-robot-key" not in html, url


def test_the_admin_retry_action_puts_a_failed_delivery_back(client, world):
    delivery = failed_delivery(world)
    client.force_login(world.office)
    response = client.post(
        reverse("admin:supervision_delivery_changelist"),
        {"action": "retry_failed", "_selected_action": [delivery.pk]},
    )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING and delivery.attempts == 0


def test_the_admin_changes_rules_through_the_service(client, world):
    reminders.ensure_policies()
    policy = ReminderPolicy.objects.get(campaign=world.campaign)
    client.force_login(world.office)
    url = reverse("admin:supervision_reminderpolicy_change", args=[policy.pk])
    assert client.post(url, policy_form(due_soon_second=9)).status_code == 200  # refused, shown on the form
    assert client.post(url, policy_form()).status_code == 302
    policy.refresh_from_db()
    assert (policy.due_soon_first, policy.updated_by) == (5, world.office)


def test_another_countys_office_sees_none_of_ours_in_the_admin(client, world):
    failed_delivery(world)
    client.force_login(world.other_office)
    response = client.get(reverse("admin:supervision_delivery_changelist"))
    assert response.status_code == 200 and response.context["cl"].result_count == 0
