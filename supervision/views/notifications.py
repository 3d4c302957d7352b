"""The inbox (消息, behind the bell) and the supervision office's reminder settings.

- /notifications/: my inbox, newest first, 50 a page; opening an item marks it read and leads to its
  task or order. Only the owner sees or marks an item: anyone else gets 404.
- /office/reminders/, /office/calendar/, /office/endpoints/, /office/deliveries/: the office (of the
  current campaign's region, or of its own region for channels and deliveries) and superusers; anyone
  else gets 403, and a row outside the office's region is a 404. Every write goes through
  supervision.services; a refusal is shown on the form and changes nothing.

Every list is a fixed number of queries whatever its length.
"""

import datetime

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tasks.models import Campaign
from tasks.services import require_office_for
from tasks.views.common import current_campaign
from tasks.views.office import office_required
from winteraction.parsing import whole_number

from .. import channels, messages, permissions, selectors, services
from ..forms import CalendarDayForm, EndpointForm, ReminderPolicyForm
from ..models import DeliveryState, ReminderPolicy

PAGE_SIZE = 50

# ---- The inbox ------------------------------------------------------------------------------------


@require_GET
@login_required
def notifications(request):
    page = Paginator(selectors.inbox_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    items = [
        {
            "item": item,
            "title": messages.title(item.notification),
            "rule": item.notification.get_rule_display(),
            "note": item.notification.note,
        }
        for item in page.object_list
    ]
    return render(
        request,
        "supervision/notifications.html",
        {"page": page, "items": items, "nav_section": "notifications"},
    )


@require_GET
@login_required
def notification_open(request, pk):
    """Follow an item's link: it is marked read, then off to its task or order."""
    item = selectors.inbox_item_get_for(request.user, pk)
    services.inbox_mark_read(item=item)
    return redirect(messages.path_of(item.notification))


@require_POST
@login_required
def notifications_read_all(request):
    count = services.inbox_mark_all_read(person=request.user)
    flash.success(request, _("已将 %(count)s 条消息标为已读。") % {"count": count})
    return redirect("notifications")


# ---- The office's settings: shared ------------------------------------------------------------------


def _office_campaign(request) -> Campaign | None:
    """The current campaign, which the office must run (403 otherwise); None when there is none."""
    campaign = current_campaign(request)
    if campaign is not None:
        require_office_for(request.user, campaign.owner, _("设置提醒"))
    return campaign


def _page(request, template: str, context: dict, status: int = 200):
    return render(request, template, {**context, "nav_section": "office"}, status=status)


# ---- 提醒规则 ------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@office_required
def office_reminders(request):
    campaign = _office_campaign(request)
    policy = None
    if campaign is not None:
        policy = ReminderPolicy.objects.filter(campaign=campaign).first() or ReminderPolicy(campaign=campaign)
    form = ReminderPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST":
        if campaign is None:
            raise PermissionDenied(_("没有可用的冬季行动。"))
        if form.is_valid():
            try:
                services.policy_update(campaign=campaign, by=request.user, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as error:
                form.add_service_error(error)
            else:
                flash.success(request, _("提醒规则已保存。"))
                return redirect("office-reminders")
    return _page(
        request,
        "supervision/office_reminders.html",
        {"campaign": campaign, "policy": policy, "form": form},
        status=400 if form.errors else 200,
    )


# ---- 工作日历 ------------------------------------------------------------------------------------------


def _year(request) -> int:
    raw = request.GET.get("year") or request.POST.get("year") or ""
    year = whole_number(raw)
    if year is not None and 2000 <= year <= 2100:
        return year
    return timezone.localdate().year


def _calendar_page(request, campaign, year, form, status=200):
    days = list(services.calendar_year(year))
    context = {
        "campaign": campaign,
        "year": year,
        "years": [year - 1, year, year + 1],
        "sections": [
            {
                "title": _("放假(工作日不上班)"),
                "days": [day for day in days if not day.working],
                "testid": "holidays",
            },
            {
                "title": _("调休上班(周末上班)"),
                "days": [day for day in days if day.working],
                "testid": "make-up-days",
            },
        ],
        "can_edit": permissions.may_keep_calendar(request.user, campaign),
        "form": form,
    }
    return _page(request, "supervision/office_calendar.html", context, status=status)


@require_http_methods(["GET", "POST"])
@office_required
def office_calendar(request):
    campaign = _office_campaign(request)
    year = _year(request)
    if request.method == "GET":
        return _calendar_page(request, campaign, year, CalendarDayForm())
    form = CalendarDayForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.calendar_day_set(
                by=request.user,
                campaign=campaign,
                date=data["date"],
                working=data["working"],
                name=data["name"],
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_service_error(error)
        else:
            flash.success(request, _("%(date)s 已设置。") % {"date": data["date"].isoformat()})
            return redirect(f"{reverse('office-calendar')}?year={data['date'].year}")
    return _calendar_page(request, campaign, year, form, status=400)


@require_POST
@office_required
def office_calendar_remove(request):
    campaign = _office_campaign(request)
    try:
        date = datetime.date.fromisoformat(request.POST.get("date", ""))
    except ValueError:
        flash.error(request, _("日期格式不正确。"))
        return redirect("office-calendar")
    try:
        services.calendar_day_remove(by=request.user, campaign=campaign, date=date)
    except ValidationError as error:
        flash.error(request, " ".join(error.messages))
    else:
        flash.success(request, _("已删除 %(date)s 的设置。") % {"date": date.isoformat()})
    return redirect(f"{reverse('office-calendar')}?year={date.year}")


# ---- 通知渠道 ------------------------------------------------------------------------------------------


def _endpoints_page(request, form, status=200):
    endpoints = [
        {"endpoint": endpoint, "address": channels.mask_address(endpoint.channel, endpoint.address)}
        for endpoint in selectors.endpoints_for(request.user)
    ]
    return _page(
        request, "supervision/office_endpoints.html", {"endpoints": endpoints, "form": form}, status=status
    )


@require_http_methods(["GET", "POST"])
@office_required
def office_endpoints(request):
    form = EndpointForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.endpoint_create(by=request.user, **form.service_kwargs())
            except (ValidationError, PermissionDenied) as error:
                form.add_service_error(error)
            else:
                flash.success(request, _("通知渠道已添加。"))
                return redirect("office-endpoints")
        return _endpoints_page(request, form, status=400)
    return _endpoints_page(request, form)


@require_POST
@office_required
def office_endpoint_toggle(request, pk):
    endpoint = get_object_or_404(selectors.endpoints_for(request.user), pk=pk)
    enabled = not endpoint.enabled
    services.endpoint_set_enabled(endpoint=endpoint, by=request.user, enabled=enabled)
    flash.success(request, _("通知渠道已启用。") if enabled else _("通知渠道已停用。"))
    return redirect("office-endpoints")


@require_POST
@office_required
def office_endpoint_delete(request, pk):
    endpoint = get_object_or_404(selectors.endpoints_for(request.user), pk=pk)
    services.endpoint_delete(endpoint=endpoint, by=request.user)
    flash.success(request, _("通知渠道已删除。"))
    return redirect("office-endpoints")


# ---- 发送记录 ------------------------------------------------------------------------------------------


STATES = (DeliveryState.FAILED, DeliveryState.PENDING)


@require_GET
@office_required
def office_deliveries(request):
    state = request.GET.get("state")
    if state not in STATES:
        state = DeliveryState.FAILED
    deliveries = selectors.deliveries_for(request.user).filter(state=state)
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "delivery": delivery,
            "address": channels.mask_address(delivery.channel, delivery.address),
            **_what_and_whom(delivery),
        }
        for delivery in page.object_list
    ]
    context = {
        "state": state,
        "states": [(value, DeliveryState(value).label) for value in STATES],
        "page": page,
        "rows": rows,
        "retryable": state == DeliveryState.FAILED,
    }
    return _page(request, "supervision/office_deliveries.html", context)


def _what_and_whom(delivery) -> dict:
    """A notification's title and audience; for an outbound webhook, its event and the region."""
    if delivery.webhook_event_id is not None:
        event = delivery.webhook_event
        return {
            "title": _("Webhook 事件 %(type)s(%(id)s)") % {"type": event.type, "id": event.uuid},
            "audience": delivery.webhook.region.name,
        }
    return {"title": messages.title(delivery.notification), "audience": _audience(delivery.notification)}


def _audience(notification) -> str:
    if notification.unit_id is not None:
        return notification.unit.name
    if notification.person_id is not None:
        return str(notification.person)
    return notification.group.name


@require_POST
@office_required
def office_delivery_retry(request, pk):
    delivery = get_object_or_404(selectors.deliveries_for(request.user), pk=pk)
    if delivery.state != DeliveryState.FAILED:
        flash.error(request, _("只有发送失败的记录可以重发。"))
    else:
        services.delivery_retry(delivery=delivery, by=request.user)
        flash.success(request, _("已重新排队发送。"))
    return redirect(f"{reverse('office-deliveries')}?state=failed")


urlpatterns = [
    path("notifications/", notifications, name="notifications"),
    path("notifications/read-all/", notifications_read_all, name="notifications-read-all"),
    path("notifications/<int:pk>/open/", notification_open, name="notification-open"),
    path("office/reminders/", office_reminders, name="office-reminders"),
    path("office/calendar/", office_calendar, name="office-calendar"),
    path("office/calendar/remove/", office_calendar_remove, name="office-calendar-remove"),
    path("office/endpoints/", office_endpoints, name="office-endpoints"),
    path("office/endpoints/<int:pk>/toggle/", office_endpoint_toggle, name="office-endpoint-toggle"),
    path("office/endpoints/<int:pk>/delete/", office_endpoint_delete, name="office-endpoint-delete"),
    path("office/deliveries/", office_deliveries, name="office-deliveries"),
    path("office/deliveries/<int:pk>/retry/", office_delivery_retry, name="office-delivery-retry"),
]
