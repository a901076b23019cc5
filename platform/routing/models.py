"""Endpoint registry (platform-wide, operator-managed), live health, and versioned agency residency policies."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from routing.classification import LADDER
from tenants.models import AgencyOwnedModel


class Kind(models.TextChoices):
    OPENAI_COMPATIBLE = "openai_compatible", _("OpenAI-compatible (vLLM, Ollama, llama.cpp, TGI)")
    AZURE_SERVERLESS = "azure_serverless", _("Azure serverless (Models as a Service)")
    AZURE_AI_INFERENCE = "azure_ai_inference", _("Azure AI model inference")
    AZURE_OPENAI = "azure_openai", _("Azure OpenAI")
    BUILTIN_EXTRACTIVE = "builtin_extractive", _("Built-in extractive summariser (no LLM)")


class Hosting(models.TextChoices):
    ON_PREMISES = "on_premises", _("On premises")
    SOVEREIGN_CLOUD = "sovereign_cloud", _("Sovereign cloud")
    PUBLIC_CLOUD = "public_cloud", _("Public cloud")


class DeploymentType(models.TextChoices):
    NONE = "", _("Not applicable (self-hosted)")
    REGIONAL = "regional", _("Regional / Standard")
    DATAZONE_EU = "datazone-eu", _("Data Zone EU")
    DATAZONE_US = "datazone-us", _("Data Zone US")
    GLOBAL = "global", _("Global")


class AuthMode(models.TextChoices):
    KEY = "key", _("API key (from secret_env or secret_file)")
    ENTRA = "entra", _("Microsoft Entra ID token")
    NONE = "none", _("No authentication")


CLASSIFICATION_CHOICES = [(name, name) for name in LADDER]
CAPABILITIES = ("summarise", "translate", "chat")
BUILTIN_EXTRACTIVE_NAME = "builtin-extractive"


class Endpoint(models.Model):
    """A model endpoint. Platform-wide: operators register it; agency policies decide who may use it."""

    name = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    base_url = models.URLField(max_length=500, blank=True)
    model = models.CharField(max_length=200, blank=True, help_text=_("Model or Azure deployment name."))
    api_version = models.CharField(max_length=40, blank=True)
    # Secrets by reference only: the database never holds a key.
    secret_env = models.CharField(max_length=200, blank=True, help_text=_("Environment variable holding the key."))
    secret_file = models.CharField(max_length=500, blank=True, help_text=_("File holding the key."))
    auth = models.CharField(max_length=8, choices=AuthMode.choices, default=AuthMode.KEY)
    hosting = models.CharField(max_length=20, choices=Hosting.choices)
    jurisdiction = models.CharField(max_length=8, help_text=_("Legal jurisdiction of the operator: FR, DE, EU, US."))
    region = models.CharField(max_length=64, blank=True, help_text=_("Processing region, e.g. francecentral or FR."))
    deployment_type = models.CharField(max_length=16, choices=DeploymentType.choices, blank=True, default="")
    max_classification = models.CharField(max_length=16, choices=CLASSIFICATION_CHOICES, default="public")
    capabilities = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True, help_text=_("ISO 639-1 codes; empty means any."))
    context_window = models.PositiveIntegerField(default=8192)
    max_output_tokens = models.PositiveIntegerField(default=2048)
    max_concurrency = models.PositiveIntegerField(default=4)
    rpm = models.PositiveIntegerField(default=0, help_text=_("Requests per minute; 0 means unlimited."))
    tpm = models.PositiveIntegerField(default=0, help_text=_("Tokens per minute; 0 means unlimited."))
    price_input_per_1k = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    price_output_per_1k = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    system_role = models.BooleanField(
        default=True, help_text=_("False when the chat template has no system slot (folded into the first turn).")
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class HealthStatus(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown (not probed yet)")
    OK = "ok", _("OK")
    DEGRADED = "degraded", _("Degraded (slow or loading)")
    DOWN = "down", _("Down")
    MISCONFIGURED = "misconfigured", _("Misconfigured (authentication or permission refused)")


class EndpointHealth(models.Model):
    endpoint = models.OneToOneField(Endpoint, on_delete=models.CASCADE, related_name="health")
    status = models.CharField(max_length=16, choices=HealthStatus.choices, default=HealthStatus.UNKNOWN)
    latency_ms = models.FloatField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    misconfigured = models.BooleanField(default=False)
    checked_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "endpoint health"

    def __str__(self) -> str:
        return f"{self.endpoint_id}: {self.status}"


class EndpointState(models.Model):
    """Shared breaker and rate-window counters when no Redis is configured (single-host installs)."""

    endpoint = models.OneToOneField(Endpoint, on_delete=models.CASCADE, related_name="state")
    consecutive_failures = models.PositiveIntegerField(default=0)
    open_until = models.FloatField(default=0.0)  # epoch seconds; breaker or cool-down
    window_start = models.FloatField(default=0.0)
    window_requests = models.PositiveIntegerField(default=0)
    window_tokens = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"state of endpoint {self.endpoint_id}"


class EndpointLease(models.Model):
    """One in-flight request (database fallback of the concurrency limit); expires if a worker dies."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="leases")
    token = models.CharField(max_length=64, unique=True)
    expires_at = models.FloatField(db_index=True)

    def __str__(self) -> str:
        return f"lease {self.token}"


class PolicyVersion(AgencyOwnedModel):
    """One immutable version of an agency's residency policy. The highest version is current."""

    version = models.PositiveIntegerField()
    default_classification = models.CharField(max_length=16, choices=CLASSIFICATION_CHOICES)
    rules = models.JSONField(default=dict)
    created_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["agency", "version"], name="uniq_policy_version")]

    def __str__(self) -> str:
        return f"policy v{self.version}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "default_classification": self.default_classification,
            "rules": self.rules,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }
