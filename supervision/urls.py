from .dashboard_views import urlpatterns as dashboard_urlpatterns
from .views import urlpatterns

urlpatterns = urlpatterns + dashboard_urlpatterns

__all__ = ["urlpatterns"]
