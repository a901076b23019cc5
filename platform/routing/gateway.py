"""The routing gateway's public types, shared by the jobs pipeline, the router and the model clients.

Import the services from routing.services (job_route, completion_create); these types stay dependency-free so
they can be pickled, stored and property-tested.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TASK_KINDS = ("summarise", "translate", "chat")


@dataclass(frozen=True)
class TaskSpec:
    kind: str  # "summarise" | "translate" | "chat"
    languages: tuple[str, ...]  # ISO 639-1 codes involved (source and target)
    input_tokens: int  # prompt tokens of the LARGEST single request the job will send
    output_tokens: int  # max output tokens per request
    classification: str  # one of LADDER


@dataclass(frozen=True)
class CandidateInfo:
    """A snapshot of an endpoint, JSON-serialisable via dataclasses.asdict."""

    name: str
    kind: str
    hosting: str
    jurisdiction: str
    region: str
    deployment_type: str
    model: str
    context_window: int
    max_output_tokens: int
    price_input_per_1k: float
    price_output_per_1k: float


@dataclass(frozen=True)
class RoutingDecision:
    allowed: bool
    candidates: tuple[CandidateInfo, ...]  # in order; empty when refused
    refusal_reason: str  # human-readable, says what to do; "" when allowed
    degraded: bool  # True when only the builtin extractive summariser is allowed/available
    policy_version: int
    record: dict[str, Any]  # the full decision record (considered, excluded-with-reason, chosen)
    # record keys: policy_version, task, considered [names], excluded {name: reason}, chosen [names, in order],
    # candidates [CandidateInfo dicts, in order], endpoint (first candidate's dict, or None), degraded,
    # refusal_reason (refusals only). JSON-serialisable.

    @property
    def chosen(self) -> str:
        """Name of the first candidate ("" when refused): what a job shows as its route."""
        return self.candidates[0].name if self.candidates else ""


@dataclass(frozen=True)
class CompletionResult:
    text: str
    endpoint_name: str
    input_tokens: int
    output_tokens: int
    cost: float
    finish_reason: str
