"""My account: password change, API tokens; and the audit log the supervision office reads."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import services
from ..audit import record
from ..models import ApiToken, AuditEntry, AuditKind, Person, Role
from ..office_forms import AuditFilterForm, TokenCreateForm
from ..selectors import access_for

# ---- Password -------------------------------------------------------------------------------


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("password-change-done")

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        for field in form.fields.values():
            field.widget.attrs["class"] = "form-control"
        return form

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            record(AuditKind.PASSWORD_CHANGED, request=self.request, user=self.request.user)
        # The change revoked the person's API tokens (tasks.passwords): say which.
        revoked = getattr(form.user, "revoked_api_tokens", None)
        if revoked:
            messages.warning(self.request, services.revoked_tokens_message(revoked))
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"


# ---- API tokens ------------------------------------------------------------------------------

# The plain token travels from the POST to the next GET in the session, and is dropped there.
SESSION_NEW_TOKEN = "new_api_token"


@login_required
def tokens(request):
    if request.method == "POST":
        form = TokenCreateForm(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    token, plain = services.token_create(
                        user=request.user,
                        by=request.user,
                        name=form.cleaned_data["name"],
                        read_only=form.cleaned_data["read_only"],
                        expires_at=form.expires_at(),
                    )
                    record(
                        AuditKind.TOKEN_CREATED,
                        request=request,
                        user=request.user,
                        token=token.name,
                        prefix=token.prefix,
                        read_only=token.read_only,
                    )
            except (ValidationError, PermissionDenied) as error:
                form.add_service_error(error)
            else:
                request.session[SESSION_NEW_TOKEN] = {"id": token.pk, "plain": plain}
                return redirect("account-tokens")
    else:
        form = TokenCreateForm()
    new_token = request.session.pop(SESSION_NEW_TOKEN, None) if request.method == "GET" else None
    context = {
        "form": form,
        "tokens": ApiToken.objects.filter(user=request.user).order_by("revoked_at", "-created_at", "-id"),
        "new_token": new_token,
    }
    return render(request, "tasks/account_tokens.html", context, status=400 if form.errors else 200)


@require_POST
@login_required
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken.objects.select_related("user__unit"), pk=pk, user=request.user)
    if token.revoked_at is None:
        with transaction.atomic():
            services.token_revoke(token=token, by=request.user)
            record(
                AuditKind.TOKEN_REVOKED,
                request=request,
                user=request.user,
                token=token.name,
                prefix=token.prefix,
            )
        messages.success(request, _("令牌“%(name)s”已吊销。") % {"name": token.name})
    return redirect("account-tokens")


# ---- Audit log ---------------------------------------------------------------------------------


def audit_entries_visible_to(user):
    """Entries of my region: by the unit recorded, or (a lockout names only the username) by the account's unit."""
    if user.is_superuser:
        return AuditEntry.objects.all()
    if user.role != Role.OFFICE:
        raise PermissionDenied(_("只有督查室可以查看审计日志。"))
    region = access_for(user).region
    if region is None:
        return AuditEntry.objects.none()
    accounts = Person.objects.filter(unit__path__startswith=region.path).values("username")
    return AuditEntry.objects.filter(
        Q(unit__path__startswith=region.path) | Q(unit__isnull=True, username__in=accounts)
    )


PAGE_SIZE = 50


@login_required
def audit_log(request):
    entries = audit_entries_visible_to(request.user)
    form = AuditFilterForm(request.GET or None)
    if form.is_valid():
        if form.cleaned_data["kind"]:
            entries = entries.filter(kind=form.cleaned_data["kind"])
        if form.cleaned_data["username"].strip():
            entries = entries.filter(username__icontains=form.cleaned_data["username"].strip())
    entries = entries.select_related("unit").order_by("-at", "-id")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, "tasks/audit_log.html", context)


urlpatterns = [
    path("account/password/", login_required(PasswordChangeView.as_view()), name="password-change"),
    path(
        "account/password/done/",
        login_required(PasswordChangeDoneView.as_view()),
        name="password-change-done",
    ),
    path("account/tokens/", tokens, name="account-tokens"),
    path("account/tokens/<int:pk>/revoke/", token_revoke, name="account-token-revoke"),
    path("audit/", audit_log, name="audit-log"),
]
