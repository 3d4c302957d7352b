"""The tasks app's API routes. winteraction/urls.py puts every app's routes under /api/v1/ in the
one `api` namespace: `router` (viewsets, merged into one router with an API root) and `urlpatterns`
(explicit paths, which come before every router's)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import indicators, views

router = SimpleRouter()
router.register("campaigns", views.CampaignViewSet, basename="campaign")
router.register("special-actions", views.SpecialActionViewSet, basename="special-action")
router.register("units", views.UnitViewSet, basename="unit")
router.register("people", views.PersonViewSet, basename="person")
router.register("tasks", views.TaskViewSet, basename="task")
router.register("milestones", views.MilestoneViewSet, basename="milestone")
router.register("progress-reports", views.ProgressReportViewSet, basename="progress-report")
router.register("attachments", views.AttachmentViewSet, basename="attachment")
router.register("extension-requests", views.ExtensionRequestViewSet, basename="extension-request")
router.register("tokens", views.ApiTokenViewSet, basename="token")
router.register("imports", views.ImportBatchViewSet, basename="import")
router.register("indicators", indicators.IndicatorViewSet, basename="indicator")
router.register("indicator-figures", indicators.IndicatorFigureViewSet, basename="indicator-figure")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("auth/token/", views.PasswordTokenView.as_view(), name="auth-token"),
]
