"""HTML pages. For now the home page: the campaigns I can see and where their tasks stand."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from ..flags import due_soon_q, overdue_q
from ..models import TaskStatus
from ..selectors import campaigns_visible_to, tasks_for_my_unit, tasks_visible_to


@login_required
def home(request):
    today = timezone.localdate()
    counts = (
        tasks_visible_to(request.user, today=today)
        .order_by()
        .values("campaign")
        .annotate(
            total=Count("pk"),
            closed=Count("pk", filter=Q(status=TaskStatus.CLOSED)),
            overdue=Count("pk", filter=overdue_q(today)),
            due_soon=Count("pk", filter=due_soon_q(today)),
        )
    )
    by_campaign = {row["campaign"]: row for row in counts}
    campaigns = [
        (campaign, by_campaign.get(campaign.pk, {}))
        for campaign in campaigns_visible_to(request.user).filter(pk__in=list(by_campaign))
    ]
    mine = tasks_for_my_unit(request.user, today=today).order_by("deadline", "code")[:20]
    return render(request, "tasks/home.html", {"campaigns": campaigns, "my_tasks": mine, "today": today})


urlpatterns = [path("", home, name="home")]
