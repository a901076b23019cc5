from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenants.models import AgencyOwnedModel


class JobKind(models.TextChoices):
    SUMMARISE = "summarise", _("Summary")
    TRANSLATE = "translate", _("Translation")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


TERMINAL = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})


class Job(AgencyOwnedModel):
    document = models.ForeignKey("documents.Document", on_delete=models.PROTECT, related_name="jobs")
    kind = models.CharField(max_length=16, choices=JobKind.choices)
    params = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    level = models.PositiveSmallIntegerField(default=0)  # current map/reduce level
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)  # planner dispatches (reconciler re-dispatches count)
    lease_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=200, blank=True)
    request_sha256 = models.CharField(max_length=64, blank=True)
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    routing_decision = models.JSONField(null=True, blank=True)
    endpoint_name = models.CharField(max_length=200, blank=True)
    input_tokens = models.PositiveBigIntegerField(default=0)
    output_tokens = models.PositiveBigIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=6, default=Decimal("0"))
    result_markdown = models.TextField(blank=True)
    # SHA-256 of result_markdown (UTF-8). For a translation into several languages result_markdown is the
    # canonical combined output (see jobs.results.combined_markdown); each language's own text and digest are below.
    result_sha256 = models.CharField(max_length=64, blank=True)
    results = models.JSONField(default=dict, blank=True)  # translations: {language: Markdown}
    result_digests = models.JSONField(default=dict, blank=True)  # {language: SHA-256}; kept after a retention purge
    warnings = models.JSONField(default=list, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_key = models.ForeignKey(
        "accounts.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["agency", "status", "kind"])]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "idempotency_key"], condition=~Q(idempotency_key=""), name="uniq_job_idempotency"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def progress_percent(self) -> int:
        if self.status == JobStatus.SUCCEEDED:
            return 100
        return int(100 * self.progress_done / self.progress_total) if self.progress_total else 0

    @property
    def error_display(self) -> str:
        """The stored (English) error in the reader's language."""
        from documents.i18n import localize
        from jobs.pipeline import DOCUMENT_UNREADABLE

        if self.error_code == "document_rejected":
            return localize(DOCUMENT_UNREADABLE, {"reason": self.document.error_display})
        return localize(self.error_message)

    @property
    def target_languages(self) -> list[str]:
        from jobs.params import target_languages

        return target_languages(self.params) if self.kind == JobKind.TRANSLATE else []

    @property
    def target_language(self) -> str:
        """For display: the target language, or several joined by commas."""
        return ", ".join(self.target_languages)


class ChunkStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    SPLIT = "split", _("Split")  # too large for the model: replaced by two halves


class JobChunk(AgencyOwnedModel):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="chunks")
    level = models.PositiveSmallIntegerField(default=0)
    language = models.CharField(max_length=8, blank=True)  # translations: the target language of this part
    sort_key = models.CharField(max_length=200)  # "00003" or "00003.1" after a split: string order = text order
    final = models.BooleanField(default=False)  # its output is the whole result (last reduce or single map)
    status = models.CharField(max_length=16, choices=ChunkStatus.choices, default=ChunkStatus.PENDING)
    source = models.TextField()
    refs = models.JSONField(default=dict)  # {"pages": [first, last], "sections": [...]} the chunk covers
    input_tokens_planned = models.PositiveIntegerField(default=0)
    max_output_tokens = models.PositiveIntegerField(default=0)
    result = models.TextField(blank=True)
    endpoint_name = models.CharField(max_length=200, blank=True)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=6, default=Decimal("0"))
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["job", "level", "language", "sort_key"]
        constraints = [
            models.UniqueConstraint(fields=["job", "level", "language", "sort_key"], name="uniq_job_chunk_language")
        ]

    def __str__(self) -> str:
        return f"chunk {self.level}/{self.sort_key} of job {self.job_id}"


class UsageRecord(AgencyOwnedModel):
    """One row per served chunk (unique): metering survives retries and killed workers without double counting."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="usage")
    chunk = models.OneToOneField(JobChunk, on_delete=models.CASCADE, related_name="usage")
    endpoint_name = models.CharField(max_length=200)
    input_tokens = models.PositiveIntegerField()
    output_tokens = models.PositiveIntegerField()
    cost = models.DecimalField(max_digits=14, decimal_places=6)
    day = models.DateField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"usage job {self.job_id} {self.endpoint_name}"


class GlossaryEntry(AgencyOwnedModel):
    source_language = models.CharField(max_length=8)
    target_language = models.CharField(max_length=8)
    source_term = models.CharField(max_length=200)
    target_term = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source_language", "target_language", "source_term"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "source_language", "target_language", "source_term"], name="uniq_glossary_term"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_term} → {self.target_term} ({self.source_language}→{self.target_language})"


class Webhook(AgencyOwnedModel):
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(AgencyOwnedModel):
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=32)
    # "job-<id>-<event>-<webhook id>": created once per job end, whatever happens to workers; sent as a header so
    # receivers can drop a redelivery.
    idempotency_key = models.CharField(max_length=100, unique=True)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.idempotency_key
