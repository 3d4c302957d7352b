from django.urls import include, path
from rest_framework.routers import DefaultRouter

from supervision.api.views import SupervisionGroupViewSet

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
router.register("tokens", views.ApiTokenViewSet, basename="token")

app_name = "api"
urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("auth/token/", views.PasswordTokenView.as_view(), name="auth-token"),
    path("", include(router.urls)),
]
