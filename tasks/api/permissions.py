"""Who may call the API at all. What they may see and do is decided by the selectors and services."""

from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions

from ..models import ApiToken, Role


class ApiAccess(permissions.BasePermission):
    """Signed in; reading is open to all roles; read-only roles and read-only tokens never write."""

    def has_permission(self, request, view):
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        if isinstance(request.auth, ApiToken) and request.auth.read_only:
            raise exceptions.PermissionDenied(_("只读令牌不能修改数据。"))
        if getattr(user, "role", None) == Role.READONLY and not user.is_superuser:
            raise exceptions.PermissionDenied(_("只读账号不能修改数据。"))
        return True


class OfficeOnly(permissions.BasePermission):
    """The supervision office's own tools (importing task lists): other roles are refused outright."""

    message = _("只有督查室可以导入任务清单。")

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and (user.is_superuser or user.role == Role.OFFICE))
