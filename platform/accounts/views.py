"""Log in, log out, password change and reset. Audit goes through accounts.services (no signals)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.forms import LoginForm, PasswordResetRequestForm
from accounts.selectors import login_retry_after, user_for_login
from accounts.services import login_failure_record, login_success_record, logout_record, user_password_change
from audit.actors import Actor, client_ip


class LoginView(auth_views.LoginView):
    form_class = LoginForm

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Checked before the password: while throttled even the right password is refused.
        wait = login_retry_after(username=self._throttle_name(), ip=client_ip(request))
        if wait is not None:
            return self._throttled(wait)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        with transaction.atomic():
            response = super().form_valid(form)
            login_success_record(
                user=form.get_user(), identifier=self._identifier(), actor=Actor.from_request(self.request)
            )
        return response

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        identifier = self._identifier()
        if identifier and self.request.POST.get("password"):
            ip = client_ip(self.request)
            actor = Actor.anonymous(
                "login attempt", ip=ip, user_agent=self.request.META.get("HTTP_USER_AGENT", "")[:300] or None
            )
            account = user_for_login(identifier=identifier)
            name = account.get_username() if account is not None else identifier
            login_failure_record(identifier=name, ip=ip, user=account, actor=actor)
            wait = login_retry_after(username=name, ip=ip)
            if wait is not None:
                return self._throttled(wait)
        return super().form_invalid(form)

    def _identifier(self) -> str:
        return str(self.request.POST.get("username", "")).strip()

    def _throttle_name(self) -> str:
        # An account's attempts count together whether it is named by username or by e-mail.
        account = user_for_login(identifier=self._identifier())
        return account.get_username() if account is not None else self._identifier()

    def _throttled(self, wait: int) -> HttpResponse:
        context = self.get_context_data(form=self.get_form_class()(self.request))
        context["throttled"] = True
        context["retry_minutes"] = max(1, -(-wait // 60))
        context["retry_at"] = timezone.localtime(timezone.now() + timedelta(seconds=wait))
        response = TemplateResponse(self.request, "registration/login.html", context, status=429)
        response["Retry-After"] = str(wait)
        return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponseRedirect:
    if request.user.is_authenticated:
        logout_record(user=request.user, actor=Actor.from_request(request))
    auth_logout(request)
    messages.success(request, _("You are logged out."))
    return redirect("accounts:login")


class PasswordChangeView(auth_views.PasswordChangeView):
    success_url = reverse_lazy("accounts:password_change_done")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        user = user_password_change(
            user=form.user,
            new_password=form.cleaned_data["new_password1"],
            actor=Actor.from_request(self.request),
            via="change",
        )
        # Keep this session logged in; every other session of the account ends with the old password.
        update_session_auth_hash(self.request, user)
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetRequestForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: SetPasswordForm[User]) -> HttpResponse:
        user = form.user
        actor = Actor.user(
            user, ip=client_ip(self.request), user_agent=self.request.META.get("HTTP_USER_AGENT", "")[:300] or None
        )
        user_password_change(user=user, new_password=form.cleaned_data["new_password1"], actor=actor, via="reset")
        # Drop the reset token from the session, as Django's own view does after a successful reset.
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return HttpResponseRedirect(self.get_success_url())
