"""The project's URLs plus the benchmark's minimal views under /bench/min/ (see minimal.py).

Mounted by tests/benchmarks/settings.py (the benchmark's server) and by the test that holds the minimal
views to our answers; never by winteraction/urls.py.
"""

from django.urls import path

from winteraction.urls import handler404, handler500
from winteraction.urls import urlpatterns as project_urlpatterns

from . import minimal

urlpatterns = [
    path("bench/min/dashboard/summary/", minimal.dashboard_summary),
    path("bench/min/dashboard/ranking/", minimal.dashboard_ranking),
    path("bench/min/tasks/", minimal.task_list),
    path("bench/min/tasks/<int:pk>/", minimal.task_detail),
    *project_urlpatterns,
]

__all__ = ["handler404", "handler500", "urlpatterns"]
