from .dashboard_views import urlpatterns as dashboard_urlpatterns
from .inspection_views import urlpatterns as inspection_urlpatterns
from .notification_views import urlpatterns as notification_urlpatterns
from .unit_views import urlpatterns as unit_urlpatterns
from .views import urlpatterns

urlpatterns = urlpatterns + inspection_urlpatterns + dashboard_urlpatterns
urlpatterns += unit_urlpatterns
urlpatterns += notification_urlpatterns

__all__ = ["urlpatterns"]
