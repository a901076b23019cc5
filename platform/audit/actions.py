"""Audit action names. Namespaced, stable: exports and third-party verifiers depend on them."""

from __future__ import annotations

AUTH_LOGIN = "auth.login"
AUTH_LOGIN_FAILED = "auth.login_failed"
AUTH_LOGOUT = "auth.logout"
AUTH_PASSWORD_CHANGED = "auth.password_changed"  # noqa: S105 - an action name, not a password
MEMBER_ADDED = "member.added"
MEMBER_ROLE_CHANGED = "member.role_changed"
MEMBER_REMOVED = "member.removed"
APIKEY_CREATED = "apikey.created"
APIKEY_REVOKED = "apikey.revoked"
AGENCY_CREATED = "agency.created"
AGENCY_UPDATED = "agency.updated"
AGENCY_STATUS_CHANGED = "agency.status_changed"
POLICY_CHANGED = "policy.changed"
DOCUMENT_UPLOADED = "document.uploaded"
DOCUMENT_REJECTED = "document.rejected"
DOCUMENT_CLASSIFICATION_CHANGED = "document.classification_changed"
JOB_CREATED = "job.created"
JOB_ROUTED = "job.routed"
JOB_REFUSED = "job.refused"
JOB_SUCCEEDED = "job.succeeded"
JOB_FAILED = "job.failed"
JOB_CANCELLED = "job.cancelled"
RESULT_DOWNLOADED = "result.downloaded"
AUDIT_EXPORTED = "audit.exported"
RETENTION_PURGED = "retention.purged"
WEBHOOK_SAVED = "webhook.saved"
WEBHOOK_DELETED = "webhook.deleted"
GLOSSARY_CHANGED = "glossary.changed"
RETENTION_CHANGED = "retention.changed"

# Every action above; audit.record refuses others, so a typo can never create an unfilterable event.
ALL_ACTIONS = frozenset(value for name, value in list(globals().items()) if name.isupper() and isinstance(value, str))
