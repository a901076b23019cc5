from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.selectors import user_for_login
from tenants.models import Role


class LoginForm(AuthenticationForm):
    """Log in with a username or with the account's e-mail address."""

    username = forms.CharField(
        label=_("Username or e-mail"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Django caps this field at the username's length; an e-mail address may be longer.
        field = self.fields["username"]
        assert isinstance(field, forms.CharField)
        field.max_length = 254
        field.widget.attrs["maxlength"] = "254"

    def clean(self) -> dict[str, Any]:
        identifier = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if identifier and password:
            account = user_for_login(identifier=identifier)
            username = account.get_username() if account is not None else identifier
            self.user_cache = authenticate(self.request, username=username, password=password)
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class PasswordResetRequestForm(PasswordResetForm):
    """Also sends a link to invited accounts that never set a password (Django's default skips them)."""

    def get_users(self, email: str) -> Any:
        return User.objects.filter(email__iexact=email, is_active=True).iterator()


class MemberAddForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the key is for, e.g. the system that uses it."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER)
    valid_until = forms.DateField(
        label=_("Valid until (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The key stops working after this day. Leave empty for a key that does not expire."),
    )

    def clean_valid_until(self) -> datetime | None:
        day = self.cleaned_data.get("valid_until")
        if day is None:
            return None
        # Valid through the whole chosen day, in the platform's time zone.
        expires_at = timezone.make_aware(datetime.combine(day, time.max))
        if expires_at <= timezone.now():
            raise forms.ValidationError(_("Choose a day in the future, or leave the field empty."))
        return expires_at
