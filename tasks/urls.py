from django.contrib.auth import views as auth_views
from django.urls import path

from .views import account, imports, indicators, navigation, office, task_list, task_page, workspace

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="registration/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    *workspace.urlpatterns,
    *task_list.urlpatterns,
    *task_page.urlpatterns,
    *account.urlpatterns,
    *office.urlpatterns,
    *imports.urlpatterns,
    *indicators.urlpatterns,
    *navigation.urlpatterns,
]
