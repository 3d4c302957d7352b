"""督查 pages: the orders a user may see, one order with its steps (the rectification with its photos),
and the printable A4 order. The inspectors' pages (groups, inspections, a new order) and the evidence
downloads are in inspections.py.

The steps offered on an order are supervision/permissions.py's predicates, the ones the services
call before they refuse."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Count, Q, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tasks.page_forms import reselect_hint
from tasks.services import InvalidTransition

from .. import permissions, services
from ..filters import SupervisionOrderFilter
from ..forms import EVIDENCE_ACCEPT
from ..models import OrderStatus
from ..selectors import (
    acting_groups,
    evidence_by_event,
    order_overdue_q,
    orders_by_urgency,
    orders_visible_to,
)

HOME_ORDERS = 200


def _orders(user):
    return orders_visible_to(user).select_related("group", "unit")


def _home_filters(user) -> list[tuple[str, str]]:
    """全部, and where they apply: 我组下发的 (orders from my groups), 发给本单位的 (to my unit)."""
    filters = [("all", _("全部"))]
    if user.is_superuser or user.supervision_groups.exists():
        filters.append(("mine", _("我组下发的")))
    if user.unit_id is not None:
        filters.append(("unit", _("发给本单位的")))
    return filters


@login_required
def supervision_home(request):
    user = request.user
    filters = _home_filters(user)
    show = request.GET.get("show", "all")
    if show not in dict(filters):
        show = "all"
    # Filtered as the API filters them (SupervisionOrderFilter: ?group=, ?unit=, ?status=, ?urgency=,
    # ?overdue=); a value that does not parse is ignored, not an error page.
    filtered = SupervisionOrderFilter(request.GET, queryset=_orders(user))
    orders = filtered.qs
    if show == "mine":
        orders = orders.filter(group__members=user) if not user.is_superuser else orders
    elif show == "unit":
        orders = orders.filter(unit=user.unit_id)
    today = timezone.localdate()
    # Counted over every order the filters keep, not the page shown: the figure the dashboard links here.
    counts = orders.order_by().aggregate(
        open=Count("pk", filter=~Q(status=OrderStatus.CLOSED)),
        overdue=Count("pk", filter=order_overdue_q(today)),
    )
    orders = orders.annotate(
        is_overdue=Case(When(order_overdue_q(today), then=Value(True)), default=Value(False))
    )
    orders = list(orders_by_urgency(orders)[:HOME_ORDERS])
    return render(
        request,
        "supervision/home.html",
        {
            "orders": orders,
            "open_count": counts["open"],
            "overdue_count": counts["overdue"],
            "shown_limit": HOME_ORDERS,
            "filters": filters,
            "filter": filtered,
            "show": show,
            "acting": acting_groups(user).exists(),
            "today": today,
            "nav_section": "supervision",
        },
    )


def _may(user, order) -> dict:
    """Which steps this user is offered (the services ask the same predicates when they are taken)."""
    verify = permissions.can_verify(user, order)
    return {
        "acknowledge": permissions.can_acknowledge(user, order),
        "rectify": permissions.can_rectify(user, order),
        "verify": verify,
        "return": verify,
        # 催办: the office and inspectors (services.chase_order checks the scope again).
        "chase": permissions.can_chase_order(user, order),
    }


def _order_context(request, order, rectify_form: dict | None = None) -> dict:
    """The order page: its timeline with each rectification's evidence (one query for all of it)."""
    events = list(order.events.select_related("actor__unit").order_by("at", "id"))
    evidence = evidence_by_event(order)
    for event in events:
        files = evidence.get(event.pk, [])
        event.photos = [a for a in files if a.thumbnail]
        event.documents = [a for a in files if not a.thumbnail]
    return {
        "order": order,
        "events": events,
        "tasks": order.tasks.all(),
        "may": _may(request.user, order),
        "today": timezone.localdate(),
        "evidence_accept": EVIDENCE_ACCEPT,
        "rectify": rectify_form or {},
        "nav_section": "supervision",
    }


@login_required
def order_detail(request, pk):
    order = get_object_or_404(_orders(request.user), pk=pk)
    return render(request, "supervision/order_detail.html", _order_context(request, order))


@require_POST
@login_required
def order_step(request, pk, step):
    order = get_object_or_404(_orders(request.user), pk=pk)
    calls = {
        "acknowledge": lambda: services.order_acknowledge(order=order, by=request.user),
        "rectify": lambda: services.order_report_rectification(
            order=order,
            by=request.user,
            text=request.POST.get("text", ""),
            files=request.FILES.getlist("files"),
        ),
        "verify": lambda: services.order_verify(
            order=order, by=request.user, note=request.POST.get("note", "")
        ),
        "return": lambda: services.order_return(
            order=order, by=request.user, reason=request.POST.get("reason", "")
        ),
    }
    calls["chase"] = lambda: services.chase_order(
        order=order, by=request.user, note=request.POST.get("note", "")
    )
    if step not in calls:
        raise PermissionDenied
    try:
        calls[step]()
    except InvalidTransition as exc:
        messages.error(request, " ".join(exc.messages))
    except ValidationError as exc:
        if step == "rectify":
            # Back to the form with the text kept and the errors beside it; files must be chosen again.
            errors = [*exc.messages]
            if request.FILES:
                errors.append(reselect_hint())
            form = {"text": request.POST.get("text", ""), "errors": errors}
            return render(request, "supervision/order_detail.html", _order_context(request, order, form))
        messages.error(request, " ".join(exc.messages))
    else:
        done = {"rectify": _("整改情况已反馈。"), "chase": _("已催办,承办单位已收到通知。")}
        messages.success(request, done.get(step, _("已办理。")))
    return redirect("order-detail", pk=order.pk)


@login_required
def order_print(request, pk):
    order = get_object_or_404(_orders(request.user), pk=pk)
    return render(
        request,
        "supervision/order_print.html",
        {
            "order": order,
            "cooperating": [unit.name for unit in order.cooperating_units.all()],
            "tasks": order.tasks.all(),
            "back_url": reverse("order-detail", args=[order.pk]),
        },
    )


urlpatterns = [
    path("supervision/", supervision_home, name="supervision"),
    path("supervision/orders/<int:pk>/", order_detail, name="order-detail"),
    path("supervision/orders/<int:pk>/print/", order_print, name="order-print"),
    path("supervision/orders/<int:pk>/<slug:step>/", order_step, name="order-step"),
]
