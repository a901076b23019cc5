from __future__ import annotations

import uuid
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.models import AgencyOwnedModel


class DocumentStatus(models.TextChoices):
    PROCESSING = "processing", _("Processing")
    READY = "ready", _("Ready")
    REJECTED = "rejected", _("Rejected")
    PURGED = "purged", _("Purged (retention)")


def document_upload_to(instance: Document, filename: str) -> str:
    # Per-agency prefix so object-storage buckets can be split, listed and purged per agency; the stored name
    # never reuses the client's name (path tricks, collisions).
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"agencies/{instance.agency_id}/documents/{uuid.uuid4().hex}{suffix}"


class Document(AgencyOwnedModel):
    title = models.CharField(max_length=300)
    original_name = models.CharField(max_length=300, blank=True)
    file = models.FileField(upload_to=document_upload_to, max_length=300)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField()
    mime_type = models.CharField(max_length=100)
    classification = models.CharField(max_length=16)
    language = models.CharField(max_length=8, blank=True)
    status = models.CharField(max_length=16, choices=DocumentStatus.choices, default=DocumentStatus.PROCESSING)
    # Structured text: {"blocks": [{"type", "text", "level"?, "page"?, "rows"?}], "pages": n, "chars": n}.
    extraction = models.JSONField(null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    extract_attempts = models.PositiveSmallIntegerField(default=0)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_key = models.ForeignKey(
        "accounts.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["agency", "status"])]

    @property
    def error_display(self) -> str:
        """The stored (English) error in the reader's language."""
        from documents.i18n import localize

        return localize(self.error_message)

    def __str__(self) -> str:
        return self.title

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return list((self.extraction or {}).get("blocks", []))

    @property
    def is_ready(self) -> bool:
        return self.status == DocumentStatus.READY
