from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

import audit
from accounts.keys import key_generate, secret_hash
from accounts.models import ApiKey, LoginFailure
from accounts.selectors import throttle_username
from audit import actions
from audit.actors import Actor
from tenants.models import Agency, Membership, Role
from tenants.scope import agency_scope
from tenants.services import membership_add, user_get_or_create


def api_key_create(
    *,
    agency: Agency,
    actor: Actor,
    name: str,
    role: str = Role.MEMBER,
    expires_at: datetime | None = None,
    created_by: Any = None,
) -> tuple[ApiKey, str]:
    """Create a key; return it with its plaintext, which is never stored and cannot be shown again."""
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(Role.values)}.")
    plaintext, parts = key_generate()
    with transaction.atomic(), agency_scope(agency):
        key = ApiKey.objects.create(
            agency=agency,
            name=name,
            role=role,
            prefix=parts.prefix,
            secret_hash=secret_hash(parts.secret),
            expires_at=expires_at,
            created_by=created_by,
        )
        audit.record(
            agency=agency,
            actor=actor,
            action=actions.APIKEY_CREATED,
            target=key,
            details={
                "prefix": key.prefix,
                "role": role,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
        )
    return key, plaintext


def api_key_revoke(*, key: ApiKey, actor: Actor) -> ApiKey:
    with transaction.atomic(), agency_scope(key.agency):
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            audit.record(
                agency=key.agency,
                actor=actor,
                action=actions.APIKEY_REVOKED,
                target=key,
                details={"prefix": key.prefix},
            )
    return key


def api_key_touch(*, key: ApiKey) -> None:
    """Record last use, at most once a minute per key to spare the database on busy keys."""
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.unscoped_objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


def login_success_record(*, user: User, identifier: str, actor: Actor) -> None:
    """A successful login: forget this account's failures and audit it in every agency the user belongs to."""
    with transaction.atomic():
        names = {throttle_username(user.get_username()), throttle_username(identifier)}
        LoginFailure.objects.filter(username__in=names).delete()
        for agency in _agencies_of(user):
            audit.record(
                agency=agency, actor=actor, action=actions.AUTH_LOGIN, target=user, details={"user_id": user.pk}
            )


def login_failure_record(*, identifier: str, ip: str | None, user: User | None, actor: Actor) -> None:
    """A failed login counts towards the throttle (per name and per IP) even for unknown names.

    It is audited in the agencies of the account it named; a name that matches no account has no agency,
    so it is only counted.
    """
    now = timezone.now()
    with transaction.atomic():
        # Rows past the window no longer count: prune them here so the table stays small without a job.
        expired_before = now - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
        LoginFailure.objects.filter(occurred_at__lt=expired_before).delete()
        LoginFailure.objects.create(username=throttle_username(identifier), ip=ip)
        if user is None:
            return
        for agency in _agencies_of(user):
            audit.record(
                agency=agency,
                actor=actor,
                action=actions.AUTH_LOGIN_FAILED,
                target=user,
                details={"user_id": user.pk, "reason": "invalid_credentials"},
            )


def logout_record(*, user: User, actor: Actor) -> None:
    with transaction.atomic():
        for agency in _agencies_of(user):
            audit.record(
                agency=agency, actor=actor, action=actions.AUTH_LOGOUT, target=user, details={"user_id": user.pk}
            )


def user_password_change(*, user: User, new_password: str, actor: Actor, via: str = "change") -> User:
    """Set a new (already validated) password; `via` is "change" (logged in) or "reset" (e-mailed link)."""
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        # Whoever set a new password proved they own the account: lift its log-in pause (not the per-IP one).
        LoginFailure.objects.filter(username=throttle_username(user.get_username())).delete()
        for agency in _agencies_of(user):
            audit.record(
                agency=agency,
                actor=actor,
                action=actions.AUTH_PASSWORD_CHANGED,
                target=user,
                details={"user_id": user.pk, "via": via},
            )
    return user


@dataclass(frozen=True)
class Invitation:
    membership: Membership
    created_account: bool
    email_sent: bool


def member_invite(
    *,
    agency: Agency,
    email: str,
    role: str,
    actor: Actor,
    set_password_url: Callable[[User], str],
) -> Invitation:
    """Add the person with this e-mail to the agency, creating their account if needed.

    An account without a usable password (new, or invited before and never activated) gets an e-mail with a
    link to set one; it is sent only once the membership is committed.
    """
    with transaction.atomic():
        existed = User.objects.filter(email__iexact=email.strip()).exists()
        user = user_get_or_create(email=email.strip())
        membership = membership_add(agency=agency, user=user, role=role, actor=actor)
        needs_password = not user.has_usable_password()
        if needs_password:
            subject, body = _invitation_message(agency=agency, user=user, url=set_password_url(user))
            recipient = user.email
            transaction.on_commit(lambda: _send(subject=subject, body=body, recipient=recipient))
    return Invitation(membership=membership, created_account=not existed, email_sent=needs_password)


def _invitation_message(*, agency: Agency, user: User, url: str) -> tuple[str, str]:
    context = {"agency": agency, "user": user, "url": url}
    subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
    body = render_to_string("accounts/email/invitation_body.txt", context)
    return " ".join(subject.splitlines()), body


def _send(*, subject: str, body: str, recipient: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])


def _agencies_of(user: User) -> list[Agency]:
    # Audit is per agency: an account-level event is recorded in each agency the account belongs to.
    return [m.agency for m in Membership.objects.select_related("agency").filter(user=user)]
