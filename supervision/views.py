"""督查 pages: the orders a user may see, one order with its steps, and the printable A4 order."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tasks.services import InvalidTransition

from . import services
from .models import OrderStatus
from .selectors import orders_visible_to


def _orders(user):
    return orders_visible_to(user).select_related("group", "unit")


@login_required
def supervision_home(request):
    orders = list(_orders(request.user).order_by("status", "deadline", "-id")[:200])
    today = timezone.localdate()
    return render(
        request,
        "supervision/home.html",
        {
            "orders": orders,
            "open_orders": [o for o in orders if o.status != OrderStatus.CLOSED],
            "today": today,
            "nav_section": "supervision",
        },
    )


def _may(user, order) -> dict:
    """Which steps this user is offered (the services decide again when they are taken)."""
    member = user.is_superuser or order.group.members.filter(pk=user.pk).exists()
    addressee = user.unit_id == order.unit_id and user.role in ("unit_official", "office")
    return {
        "acknowledge": addressee and order.status == OrderStatus.ISSUED,
        "rectify": addressee and order.status == OrderStatus.ACKNOWLEDGED,
        "verify": member and order.status == OrderStatus.RECTIFIED,
        "return": member and order.status == OrderStatus.RECTIFIED,
    }


@login_required
def order_detail(request, pk):
    order = get_object_or_404(_orders(request.user), pk=pk)
    return render(
        request,
        "supervision/order_detail.html",
        {
            "order": order,
            "events": order.events.select_related("actor__unit").order_by("at", "id"),
            "tasks": order.tasks.all(),
            "may": _may(request.user, order),
            "today": timezone.localdate(),
            "nav_section": "supervision",
        },
    )


@require_POST
@login_required
def order_step(request, pk, step):
    order = get_object_or_404(_orders(request.user), pk=pk)
    calls = {
        "acknowledge": lambda: services.order_acknowledge(order=order, by=request.user),
        "rectify": lambda: services.order_report_rectification(
            order=order, by=request.user, text=request.POST.get("text", "")
        ),
        "verify": lambda: services.order_verify(
            order=order, by=request.user, note=request.POST.get("note", "")
        ),
        "return": lambda: services.order_return(
            order=order, by=request.user, reason=request.POST.get("reason", "")
        ),
    }
    if step not in calls:
        raise PermissionDenied
    try:
        calls[step]()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except InvalidTransition as exc:  # pragma: no cover - InvalidTransition is a ValidationError
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已办理。"))
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
