"""The supervision app's API routes, under /api/v1/ in the `api` namespace (see tasks/api/urls.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import dashboard, trends
from .bulletins import BulletinViewSet
from .cards import CardViewSet
from .notifications import NotificationViewSet, OrderChaseView, TaskChaseView
from .views import FindingViewSet, InspectionViewSet, SupervisionGroupViewSet, SupervisionOrderViewSet
from .webhooks import WebhookViewSet

router = SimpleRouter()
router.register("supervision-groups", SupervisionGroupViewSet, basename="supervision-group")
router.register("inspections", InspectionViewSet, basename="inspection")
router.register("findings", FindingViewSet, basename="finding")
router.register("supervision-orders", SupervisionOrderViewSet, basename="supervision-order")
router.register("cards", CardViewSet, basename="card")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("bulletins", BulletinViewSet, basename="bulletin")
router.register("webhooks", WebhookViewSet, basename="webhook")

urlpatterns = [
    path("dashboard/summary/", dashboard.DashboardSummaryView.as_view(), name="dashboard-summary"),
    path("dashboard/ranking/", dashboard.DashboardRankingView.as_view(), name="dashboard-ranking"),
    path("dashboard/heatmap/", dashboard.DashboardHeatmapView.as_view(), name="dashboard-heatmap"),
    path("dashboard/trends/", trends.DashboardTrendsView.as_view(), name="dashboard-trends"),
    path("dashboard/overdue/", trends.DashboardOverdueView.as_view(), name="dashboard-overdue"),
    # Explicit paths come before the routers': these win over the task and order routes.
    path("tasks/<int:pk>/chase/", TaskChaseView.as_view(), name="task-chase"),
    path("supervision-orders/<int:pk>/chase/", OrderChaseView.as_view(), name="supervision-order-chase"),
]
