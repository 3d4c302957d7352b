"""HTML pages, one module an area; each module has its own `urlpatterns` (see tasks/urls.py)."""
