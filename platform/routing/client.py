"""Model calls through the official openai package: the right client per endpoint kind, our own retries and
failover (only to the decision's candidates), shared breaker and limits, and picklable errors.
"""

from __future__ import annotations

import functools
import logging
import os
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
from django.conf import settings

from routing.errors import (
    AllCandidatesFailed,
    ContentFiltered,
    ContextOverflow,
    EndpointMisconfigured,
    ModelCallError,
)
from routing.gateway import CandidateInfo, CompletionResult, RoutingDecision
from routing.health import endpoint_health_record
from routing.models import AuthMode, Endpoint, EndpointHealth, HealthStatus, Kind
from routing.policy import Rule
from routing.resilience import Limits, limits, request_timeout, routing_setting
from routing.tokens import count_message_tokens, count_tokens
from tenants.models import Agency

logger = logging.getLogger(__name__)

AZURE_AI_INFERENCE_VERSION = "2024-05-01-preview"
_VLLM_OVERFLOW = re.compile(r"maximum context length is (\d+) tokens.*?requested (\d+) tokens", re.S)
_LLAMA_OVERFLOW = re.compile(r"request \((\d+) tokens\) exceeds the available context size \((\d+) tokens\)")
_RESIDENCY_FIELDS = ("kind", "hosting", "jurisdiction", "region", "deployment_type")


# ---------------------------------------------------------------- clients


@dataclass(frozen=True)
class ClientConfig:
    kind: str
    base_url: str
    api_version: str
    auth: str
    key: str
    timeout: float


def read_secret(endpoint: Endpoint) -> str:
    """The endpoint's key from its reference (environment variable or file); "" when it needs none."""
    if endpoint.auth != AuthMode.KEY:
        return ""
    if endpoint.secret_env:
        value = os.environ.get(endpoint.secret_env, "")
        if not value:
            raise EndpointMisconfigured(
                f"Endpoint {endpoint.name}: environment variable {endpoint.secret_env} is not set on this worker; "
                "the operator must set it in the workers' environment.",
                endpoint_name=endpoint.name,
            )
        return value.strip()
    if endpoint.secret_file:
        try:
            return Path(endpoint.secret_file).read_text().strip()
        except OSError as exc:
            raise EndpointMisconfigured(
                f"Endpoint {endpoint.name}: cannot read secret file {endpoint.secret_file} ({exc.strerror}); "
                "the operator must make it readable by the workers.",
                endpoint_name=endpoint.name,
            ) from exc
    return ""


def _entra_token_provider() -> Callable[[], str]:
    try:
        from azure.identity import DefaultAzureCredential, get_bearer_token_provider
    except ImportError as exc:
        raise EndpointMisconfigured(
            "Entra ID authentication needs the azure-identity package on the workers: pip install azure-identity."
        ) from exc
    scope = str(getattr(settings, "ROUTING_ENTRA_SCOPE", "https://ai.azure.com/.default"))
    provider: Callable[[], str] = get_bearer_token_provider(DefaultAzureCredential(), scope)
    return provider


@functools.lru_cache(maxsize=64)
def build_client(config: ClientConfig) -> openai.OpenAI:
    """One SDK client per configuration (cached: keeps HTTP connections alive). The SDK never retries."""
    timeout = openai.Timeout(config.timeout, connect=min(5.0, config.timeout))
    entra = config.auth == AuthMode.ENTRA
    credential: str | Callable[[], str] = _entra_token_provider() if entra else (config.key or "no-key")
    # The SDK follows redirects by default, and a 307/308 re-sends the prompt to wherever Location points:
    # outside the policy. Never follow one (classify() reports it as a misconfigured base_url).
    http_client = openai.DefaultHttpxClient(follow_redirects=False, timeout=timeout)
    common: dict[str, Any] = {"max_retries": 0, "timeout": timeout, "http_client": http_client}
    if config.kind == Kind.AZURE_AI_INFERENCE:
        headers = {} if entra else {"api-key": config.key}
        query = {"api-version": config.api_version or AZURE_AI_INFERENCE_VERSION}
        return openai.OpenAI(
            base_url=config.base_url, api_key=credential, default_headers=headers, default_query=query, **common
        )
    if config.kind == Kind.AZURE_OPENAI and config.api_version:
        # Classic Azure OpenAI: deployment in the path, dated api-version, `api-key` header (or Entra token).
        if entra:
            return openai.AzureOpenAI(
                azure_endpoint=config.base_url,
                api_version=config.api_version,
                azure_ad_token_provider=_entra_token_provider(),
                **common,
            )
        return openai.AzureOpenAI(
            azure_endpoint=config.base_url, api_version=config.api_version, api_key=config.key, **common
        )
    # openai_compatible, azure_serverless and the Azure OpenAI v1 API: plain OpenAI client, bearer auth.
    return openai.OpenAI(base_url=config.base_url, api_key=credential, **common)


def client_for(endpoint: Endpoint, *, timeout: float | None = None) -> openai.OpenAI:
    config = ClientConfig(
        kind=endpoint.kind,
        base_url=endpoint.base_url,
        api_version=endpoint.api_version,
        auth=endpoint.auth,
        key=read_secret(endpoint),
        timeout=timeout if timeout is not None else request_timeout(),
    )
    return build_client(config)


# ---------------------------------------------------------------- messages


def normalise_messages(messages: list[dict[str, str]], *, system_role: bool) -> list[dict[str, str]]:
    """Mistral templates: consecutive same-role messages merged; system folded into the first user turn when the
    template has no system slot."""
    merged: list[dict[str, str]] = []
    for message in messages:
        role, content = message["role"], message.get("content", "")
        if merged and merged[-1]["role"] == role:
            merged[-1] = {"role": role, "content": merged[-1]["content"] + "\n\n" + content}
        else:
            merged.append({"role": role, "content": content})
    if system_role:
        systems = [m for m in merged if m["role"] == "system"]
        rest = [m for m in merged if m["role"] != "system"]
        if len(systems) <= 1:
            return systems + rest
        return [{"role": "system", "content": "\n\n".join(m["content"] for m in systems)}, *rest]
    system_text = "\n\n".join(m["content"] for m in merged if m["role"] == "system")
    rest = [m for m in merged if m["role"] != "system"]
    if not system_text:
        return rest
    for index, message in enumerate(rest):
        if message["role"] == "user":
            rest[index] = {"role": "user", "content": system_text + "\n\n" + message["content"]}
            return rest
    return [{"role": "user", "content": system_text}, *rest]


# ---------------------------------------------------------------- error classification


@dataclass(frozen=True)
class Failure:
    """What went wrong with one attempt, and what to do next."""

    action: str  # "retry" | "failover" | "raise"
    summary: str
    wait: float = 0.0
    breaker: bool = False  # counts toward the circuit breaker
    error: ModelCallError | None = None


def _retry_after(headers: Any) -> float | None:
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    seconds = headers.get("retry-after")
    if seconds:
        try:
            return max(0.0, float(seconds))
        except ValueError:
            return None
    return None


def _body_error(body: Any) -> dict[str, Any]:
    if isinstance(body, dict):
        inner = body.get("error", body)
        return inner if isinstance(inner, dict) else {"message": str(inner)}
    return {}


def _overflow(status: int, body: Any, message: str) -> ContextOverflow | None:
    if status != 400:
        return None
    info = _body_error(body)
    text = str(info.get("message") or message)
    if info.get("type") == "exceed_context_size_error" or _LLAMA_OVERFLOW.search(text):
        n_ctx = info.get("n_ctx")
        requested = info.get("n_prompt_tokens")
        match = _LLAMA_OVERFLOW.search(text)
        if match:
            requested = requested or int(match.group(1))
            n_ctx = n_ctx or int(match.group(2))
        return ContextOverflow(_overflow_text(n_ctx, requested), False, _int(n_ctx), _int(requested))
    match = _VLLM_OVERFLOW.search(text)
    if match or "maximum context length" in text:
        n_ctx = int(match.group(1)) if match else None
        requested = int(match.group(2)) if match else None
        return ContextOverflow(_overflow_text(n_ctx, requested), False, n_ctx, requested)
    return None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _overflow_text(n_ctx: Any, requested: Any) -> str:
    known = f" ({requested} tokens requested, context {n_ctx})" if n_ctx else ""
    return f"The request does not fit the model's context window{known}: split the input into smaller chunks."


def classify(exc: Exception, endpoint_name: str) -> Failure:
    """Map an SDK exception to our next step. Never lets the SDK's exception escape."""
    if isinstance(exc, openai.APITimeoutError):
        return Failure("retry", "timeout", breaker=True)
    if isinstance(exc, openai.APIConnectionError):
        return Failure(
            "retry", f"connection error: {type(exc.__cause__).__name__ if exc.__cause__ else 'reset'}", breaker=True
        )
    if not isinstance(exc, openai.APIStatusError):
        return Failure("failover", f"{type(exc).__name__}: {str(exc)[:200]}", breaker=True)
    status = exc.status_code
    info = _body_error(exc.body)
    code = str(info.get("code") or getattr(exc, "code", "") or "")
    message = str(info.get("message") or exc.message)[:300]
    if 300 <= status < 400:
        return Failure(
            "failover",
            f"{status} redirect refused",
            error=EndpointMisconfigured(
                f"Endpoint {endpoint_name} answered with a redirect ({status}); redirects are never followed, so "
                "a request cannot leave the policy. The operator must set its base_url to the final address.",
                endpoint_name=endpoint_name,
            ),
        )
    if status == 429:
        wait = _retry_after(exc.response.headers)
        return Failure("retry", f"429 rate limited: {message}", wait=wait if wait is not None else -1.0)
    if status in (401, 403):
        return Failure(
            "failover",
            f"{status} {message}",
            error=EndpointMisconfigured(
                f"Endpoint {endpoint_name} refused our credentials ({status}); the operator must fix its secret or "
                "permissions.",
                endpoint_name=endpoint_name,
            ),
        )
    if status == 400 and code == "content_filter":
        return Failure("raise", "content_filter", error=ContentFiltered(endpoint_name=endpoint_name))
    overflow = _overflow(status, exc.body, message)
    if overflow is not None:
        return Failure("failover", f"context overflow: {message}", error=overflow)
    if status == 503 and "loading" in message.lower():
        return Failure("retry", "503 loading model", wait=-2.0)
    if status >= 500 or status in (408, 409):
        return Failure("retry", f"{status} {message}", breaker=True)
    return Failure("failover", f"{status} {message}", breaker=True)


# ---------------------------------------------------------------- the call loop


def _backoff(attempt: int) -> float:
    base = routing_setting("ROUTING_BACKOFF_BASE", 0.5)
    cap = routing_setting("ROUTING_BACKOFF_CAP", 8.0)
    return random.uniform(0, min(cap, base * (2**attempt)))  # full jitter


def _still_same(endpoint: Endpoint, candidate: CandidateInfo) -> bool:
    """The endpoint still is what the router approved (an operator may have edited it since)."""
    return all(getattr(endpoint, field) == getattr(candidate, field) for field in _RESIDENCY_FIELDS) and bool(
        endpoint.enabled
    )


@dataclass
class _Outcome:
    errors: list[str]
    overflow: ContextOverflow | None = None
    misconfigured: EndpointMisconfigured | None = None


def completion_create(
    *,
    agency: Agency,
    decision: RoutingDecision,
    messages: list[dict[str, str]],
    max_tokens: int,
    temperature: float = 0.2,
    classification: str | None = None,
) -> CompletionResult:
    """Send one chat completion to the decision's candidates, in order, until one answers.

    Never calls an endpoint outside decision.candidates, nor one the agency's current policy no longer allows for
    `classification` (pass the document's classification as it is NOW: a document raised to a higher level while
    its job runs must not keep going where the old level was allowed; default: the level it was routed under).
    Raises ContentFiltered, ContextOverflow, EndpointMisconfigured or AllCandidatesFailed (all picklable).
    """
    if not decision.allowed:
        raise ModelCallError(decision.refusal_reason or "The routing decision refused this task.", False)
    shared = limits()
    outcome = _Outcome(errors=[])
    llm_candidates = [c for c in decision.candidates if c.kind != Kind.BUILTIN_EXTRACTIVE]
    if not llm_candidates:
        raise ModelCallError(
            "This decision is degraded (extractive summary only): use routing.extractive.extractive_summary.", False
        )
    policy_now = _PolicyNow.of(agency, decision, classification)
    llm_candidates = _still_allowed(policy_now, llm_candidates)
    open_now = shared.open_names([c.name for c in llm_candidates])
    for candidate in llm_candidates:
        if candidate.name in open_now:
            outcome.errors.append(f"{candidate.name}: circuit breaker open")
            continue
        result = _try_endpoint(candidate, policy_now, shared, outcome, messages, max_tokens, temperature)
        if result is not None:
            return result
    raise _final_error(outcome)


@dataclass(frozen=True)
class _PolicyNow:
    """The agency's CURRENT rule for the decision's classification: a narrowed policy stops in-flight jobs."""

    rule: Rule | None
    classification: str
    version: int

    @classmethod
    def of(cls, agency: Agency, decision: RoutingDecision, classification: str | None) -> _PolicyNow:
        from routing.selectors import policy_current, policy_parsed

        if classification is None:
            classification = str((decision.record.get("task") or {}).get("classification", ""))
        current = policy_parsed(policy_current(agency=agency))
        return cls(current.rules.get(classification), classification, current.version)

    def allows(self, endpoint: Endpoint) -> bool:
        from routing.router import policy_exclusion
        from routing.selectors import endpoint_spec

        return self.rule is not None and not policy_exclusion(endpoint_spec(endpoint), self.rule, self.classification)


def _still_allowed(policy_now: _PolicyNow, candidates: list[CandidateInfo]) -> list[CandidateInfo]:
    """Candidates the current policy still allows (checked again on the row actually used, in _try_endpoint)."""
    rows = {row.name: row for row in Endpoint.objects.filter(name__in=[c.name for c in candidates])}
    allowed = [c for c in candidates if c.name in rows and policy_now.allows(rows[c.name])]
    if not allowed:
        raise ModelCallError(
            f"The agency's residency policy (version {policy_now.version}) no longer allows the endpoints this work "
            "was routed to. Start the job again to route it under the current policy.",
            False,
        )
    return allowed


def _final_error(outcome: _Outcome) -> ModelCallError:
    last = outcome.errors[-1] if outcome.errors else "no candidate"
    if outcome.overflow is not None and all("context" in e or "too large" in e for e in outcome.errors):
        return outcome.overflow
    if outcome.misconfigured is not None and all("misconfigured" in e for e in outcome.errors):
        return outcome.misconfigured
    return AllCandidatesFailed(
        "Every model endpoint allowed for this task failed or is unavailable; it will be retried later. "
        f"Last error: {last}",
        True,
        last,
    )


def _try_endpoint(
    candidate: CandidateInfo,
    policy_now: _PolicyNow,
    shared: Limits,
    outcome: _Outcome,
    messages: list[dict[str, str]],
    max_tokens: int,
    temperature: float,
) -> CompletionResult | None:
    endpoint = Endpoint.objects.filter(name=candidate.name).first()
    # The row about to be used, checked again: an operator may have edited it since routing or since the check
    # above (a failover can come minutes after the first attempt).
    if endpoint is None or not _still_same(endpoint, candidate) or not policy_now.allows(endpoint):
        outcome.errors.append(f"{candidate.name}: removed, disabled or changed since routing")
        return None
    if EndpointHealth.objects.filter(endpoint=endpoint, misconfigured=True).exists():
        outcome.errors.append(f"{candidate.name}: misconfigured")
        return None
    prepared = normalise_messages(messages, system_role=endpoint.system_role)
    prompt_tokens = count_message_tokens(prepared, model=endpoint.model)
    if prompt_tokens + max_tokens > endpoint.context_window:
        outcome.errors.append(f"{candidate.name}: too large for its context ({prompt_tokens}+{max_tokens})")
        outcome.overflow = outcome.overflow or ContextOverflow(
            _overflow_text(endpoint.context_window, prompt_tokens + max_tokens),
            False,
            endpoint.context_window,
            prompt_tokens + max_tokens,
        )
        return None
    try:
        client = client_for(endpoint)
    except EndpointMisconfigured as exc:
        endpoint_health_record(endpoint=endpoint, status=HealthStatus.MISCONFIGURED, error=exc.message)
        outcome.errors.append(f"{candidate.name}: misconfigured ({exc.message})")
        outcome.misconfigured = exc
        return None
    return _attempts(endpoint, client, shared, outcome, prepared, prompt_tokens, max_tokens, temperature)


def _attempts(
    endpoint: Endpoint,
    client: openai.OpenAI,
    shared: Limits,
    outcome: _Outcome,
    prepared: list[dict[str, str]],
    prompt_tokens: int,
    max_tokens: int,
    temperature: float,
) -> CompletionResult | None:
    max_attempts = int(routing_setting("ROUTING_MAX_ATTEMPTS", 3))
    max_wait = routing_setting("ROUTING_MAX_WAIT", 30.0)
    waited = 0.0
    attempt = 0
    while attempt < max_attempts:
        admission = shared.acquire(endpoint, prompt_tokens + max_tokens)
        if not admission.admitted:
            if waited + admission.retry_in > max_wait:
                outcome.errors.append(f"{endpoint.name}: over its {admission.reason} limit")
                return None
            time.sleep(admission.retry_in)
            waited += admission.retry_in
            continue
        started = time.monotonic()
        try:
            response = client.chat.completions.create(
                model=endpoint.model or "default",
                messages=prepared,  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=temperature,
            )
        except Exception as exc:
            failure = classify(exc, endpoint.name)
        else:
            return _success(endpoint, shared, response, prepared, time.monotonic() - started)
        finally:
            shared.release(endpoint.name, admission.token)
        attempt += 1
        outcome.errors.append(f"{endpoint.name}: {failure.summary}")
        logger.info("model call to %s failed (attempt %s): %s", endpoint.name, attempt, failure.summary)
        next_wait = _after_failure(endpoint, shared, outcome, failure, attempt)
        if next_wait is None or attempt >= max_attempts or waited + next_wait > max_wait:
            return None
        time.sleep(next_wait)
        waited += next_wait
    return None


def _after_failure(
    endpoint: Endpoint, shared: Limits, outcome: _Outcome, failure: Failure, attempt: int
) -> float | None:
    """Record the failure; return how long to wait before retrying this endpoint, or None to move on."""
    if failure.action == "raise" and failure.error is not None:
        raise failure.error
    if isinstance(failure.error, EndpointMisconfigured):
        endpoint_health_record(endpoint=endpoint, status=HealthStatus.MISCONFIGURED, error=failure.summary)
        outcome.misconfigured = failure.error
        outcome.errors[-1] = f"{endpoint.name}: misconfigured ({failure.summary})"
        return None
    if isinstance(failure.error, ContextOverflow):
        outcome.overflow = failure.error
        return None
    if failure.wait == -2.0:  # model loading: not the endpoint's fault, wait longer
        return routing_setting("ROUTING_LOADING_WAIT", 5.0)
    if failure.summary.startswith("429"):
        wait = failure.wait if failure.wait >= 0 else _backoff(attempt)
        shared.cool_down(endpoint.name, wait)
        return wait
    if failure.breaker and shared.record_failure(endpoint.name):
        return None  # breaker just opened: fail over now
    return _backoff(attempt) if failure.action == "retry" else None


def _success(
    endpoint: Endpoint, shared: Limits, response: Any, prepared: list[dict[str, str]], seconds: float
) -> CompletionResult:
    shared.record_success(endpoint.name)
    if not response.choices:
        raise AllCandidatesFailed(f"Endpoint {endpoint.name} returned no choices.", True, "empty response")
    choice = response.choices[0]
    finish = str(choice.finish_reason or "")
    if finish == "content_filter":
        raise ContentFiltered(
            "The model provider's content filter withheld the output for this passage. Rephrase or remove it, "
            "or ask an agency admin about an endpoint without this filter.",
            endpoint_name=endpoint.name,
        )
    text = choice.message.content or ""
    usage = getattr(response, "usage", None)
    input_tokens = int(usage.prompt_tokens) if usage and usage.prompt_tokens else count_message_tokens(prepared)
    output_tokens = int(usage.completion_tokens) if usage and usage.completion_tokens else count_tokens(text)
    cost = (
        input_tokens * float(endpoint.price_input_per_1k) + output_tokens * float(endpoint.price_output_per_1k)
    ) / 1000
    health = EndpointHealth.objects.filter(endpoint=endpoint).first()
    if health is None or health.status != HealthStatus.OK:
        endpoint_health_record(endpoint=endpoint, status=HealthStatus.OK, latency_ms=seconds * 1000)
    return CompletionResult(
        text=text,
        endpoint_name=endpoint.name,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost=round(cost, 8),
        finish_reason=finish,
    )
