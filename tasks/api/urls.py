from django.urls import include, path
from rest_framework.routers import DefaultRouter

from supervision.api import dashboard, trends
from supervision.api.cards import CardViewSet
from supervision.api.notifications import NotificationViewSet, OrderChaseView, TaskChaseView
from supervision.api.views import (
    FindingViewSet,
    InspectionViewSet,
    SupervisionGroupViewSet,
    SupervisionOrderViewSet,
)

from . import views

router = DefaultRouter()
router.register("campaigns", views.CampaignViewSet, basename="campaign")
router.register("special-actions", views.SpecialActionViewSet, basename="special-action")
router.register("units", views.UnitViewSet, basename="unit")
router.register("people", views.PersonViewSet, basename="person")
router.register("tasks", views.TaskViewSet, basename="task")
router.register("milestones", views.MilestoneViewSet, basename="milestone")
router.register("progress-reports", views.ProgressReportViewSet, basename="progress-report")
router.register("attachments", views.AttachmentViewSet, basename="attachment")
router.register("extension-requests", views.ExtensionRequestViewSet, basename="extension-request")
router.register("supervision-groups", SupervisionGroupViewSet, basename="supervision-group")
router.register("inspections", InspectionViewSet, basename="inspection")
router.register("findings", FindingViewSet, basename="finding")
router.register("supervision-orders", SupervisionOrderViewSet, basename="supervision-order")
router.register("cards", CardViewSet, basename="card")
router.register("tokens", views.ApiTokenViewSet, basename="token")
router.register("notifications", NotificationViewSet, basename="notification")

app_name = "api"
urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("auth/token/", views.PasswordTokenView.as_view(), name="auth-token"),
    path("dashboard/summary/", dashboard.DashboardSummaryView.as_view(), name="dashboard-summary"),
    path("dashboard/ranking/", dashboard.DashboardRankingView.as_view(), name="dashboard-ranking"),
    path("dashboard/heatmap/", dashboard.DashboardHeatmapView.as_view(), name="dashboard-heatmap"),
    path("dashboard/trends/", trends.DashboardTrendsView.as_view(), name="dashboard-trends"),
    path("dashboard/overdue/", trends.DashboardOverdueView.as_view(), name="dashboard-overdue"),
    # Before the router: explicit paths under tasks/ and supervision-orders/ win.
    path("tasks/<int:pk>/chase/", TaskChaseView.as_view(), name="task-chase"),
    path("supervision-orders/<int:pk>/chase/", OrderChaseView.as_view(), name="supervision-order-chase"),
    path("", include(router.urls)),
]
