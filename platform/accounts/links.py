from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.http import HttpRequest
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode


def set_password_url_builder(request: HttpRequest) -> Callable[[User], str]:
    """Absolute one-time links to choose a password (the password reset link), on the host that was asked."""

    def build(user: User) -> str:
        path = reverse(
            "accounts:password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
        return request.build_absolute_uri(path)

    return build
