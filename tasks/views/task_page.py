"""The task page and its actions (stub: replaced by the task-page work)."""

urlpatterns = []
