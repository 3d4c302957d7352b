from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

import supervision.api.urls
import tasks.api.urls
from winteraction.api.errors import api_not_found
from winteraction.api.routers import ApiRouter
from winteraction.api.schema_view import SchemaView

# The API: every app's routes (its api/urls.py) under /api/v1/ in one `api` namespace, with one
# router whose root lists them all; explicit paths first, so they win over the routers' patterns.
API_APPS = (tasks.api.urls, supervision.api.urls)
api_router = ApiRouter()
for app_urls in API_APPS:
    api_router.registry.extend(app_urls.router.registry)
api_patterns = [pattern for app_urls in API_APPS for pattern in app_urls.urlpatterns]

# The API docs keep the site's Content-Security-Policy except for styles: Swagger UI and ReDoc set them
# inline. Swagger UI's start-up script comes from its own URL (the split view), so no inline script.
docs_policy = csp_update({"style-src": ["'self'", "'unsafe-inline'"], "worker-src": ["'self'", "blob:"]})

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(([*api_patterns, path("", include(api_router.urls))], "api"))),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", docs_policy(SpectacularSwaggerSplitView.as_view(url_name="schema")), name="swagger-ui"),
    path("api/redoc/", docs_policy(SpectacularRedocView.as_view(url_name="schema")), name="redoc"),
    # Any other /api/…/ path (an `{id}` that is no number): 404 in the error shape, with DEBUG on too.
    re_path(r"^api/.*/$", api_not_found),
    path("", include("supervision.urls")),
    path("", include("tasks.urls")),
]
handler404 = "winteraction.api.errors.not_found"
handler500 = "winteraction.api.errors.server_error"

# Uploaded evidence is never served from MEDIA_URL: only through the download views, which check
# that the caller may see the task.
