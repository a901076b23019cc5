"""Operator admin: the audit trail and checkpoints are read-only here too (append-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditCheckpoint, AuditEvent, RetentionSettings
from tenants.admin import AgencyOwnedAdmin


class ReadOnlyAdmin(AgencyOwnedAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["agency", "sequence", "occurred_at", "actor_kind", "actor_label", "action", "target_type"]
    list_filter = ["agency", "action"]
    search_fields = ["action", "target_id", "actor_label"]
    show_full_result_count = False  # COUNT(*) over millions of rows on every page


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ["agency", "sequence", "head_hash", "created_at", "key_id"]
    list_filter = ["agency"]


@admin.register(RetentionSettings)
class RetentionSettingsAdmin(ReadOnlyAdmin):
    # Changed by agency admins through audit.retention.retention_settings_update (audited), not here.
    list_display = ["agency", "document_retention_days", "result_retention_days", "audit_retention_days", "legal_hold"]
