"""Chain verification: recompute every hash and link, compare with signed checkpoints, name the first break.

Kinds of break (docs/audit.md, "Verification"):
- edited: an event's content no longer matches its stored hash, or an event was altered and re-hashed so the
  next event's prev_hash no longer matches it;
- missing: a sequence number is absent (deleted row, deleted tail, or later rows renumbered over a hole);
- reordered: an event sits at another sequence number than the one it was hashed with (swapped rows);
- rewritten: the chain is self-consistent but differs from a signed checkpoint (a consistent rewrite).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from django.utils.dateparse import parse_datetime

from audit.actions import RETENTION_PURGED
from audit.canonical import GENESIS_HASH, event_document, event_hash
from audit.models import MIN_AUDIT_RETENTION_DAYS, AuditChainHead, AuditEvent
from tenants.models import Agency
from tenants.scope import agency_scope

CHUNK = 2000
EVENT_COLUMNS = (  # every stored column of an event, in export order (CSV header too)
    "sequence",
    "occurred_at",
    "actor_kind",
    "actor_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "ip",
    "user_agent",
    "details",
    "prev_hash",
    "hash",
)


@dataclass(frozen=True)
class Break:
    kind: str  # edited | missing | reordered | rewritten
    sequence: int
    message: str
    since_sequence: int | None = None  # rewritten: the last sequence a checkpoint still vouches for


@dataclass(frozen=True)
class CheckpointRef:
    sequence: int
    head_hash: str


@dataclass
class VerifyResult:
    agency_id: int
    agency_slug: str
    events_checked: int = 0
    first_sequence: int | None = None
    last_sequence: int | None = None
    checkpoints_checked: int = 0
    problem: Break | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = "ok" if self.ok else "broken"
        return data


def chain_verify(
    *,
    agency: Agency,
    checkpoints: Iterable[CheckpointRef] = (),
    after: CheckpointRef | None = None,
    check_head: bool = True,
) -> VerifyResult:
    """Walk the agency's chain in sequence order.

    Starts from the retention anchor (the last purged event), or from `after` for an incremental check. Pass the
    checkpoints whose signatures were already verified.
    """
    result = VerifyResult(agency_id=agency.pk, agency_slug=agency.slug)
    with agency_scope(agency):
        head = AuditChainHead.objects.filter(agency=agency).first()
        if after is not None:
            start = after
        elif head is not None:
            start = CheckpointRef(head.base_sequence, head.base_hash)
        else:
            start = CheckpointRef(0, GENESIS_HASH)
        pending = sorted((cp for cp in checkpoints if cp.sequence >= start.sequence), key=lambda c: c.sequence)
        walker = _Walker(agency=agency, start=start, pending=pending, result=result)
        result.problem = walker.run()
        if result.problem is None and pending:
            result.problem = walker.leftover_checkpoints()
        if result.problem is None and after is None:
            result.problem = _check_anchor(start)
        if result.problem is None and check_head and head is not None and after is None:
            result.problem = _check_head(head, walker)
    return result


class _Walker:
    def __init__(
        self, *, agency: Agency, start: CheckpointRef, pending: list[CheckpointRef], result: VerifyResult
    ) -> None:
        self.agency = agency
        self.expected_sequence = start.sequence + 1
        self.expected_prev = start.head_hash
        self.start = start
        self.pending = pending
        self.vouched = start.sequence
        self.result = result
        self.last_hash = start.head_hash

    def run(self) -> Break | None:
        problem = self._checkpoint_at(self.start.sequence, self.start.head_hash)
        if problem is not None:
            return problem
        for row in self._rows():
            problem = self._check(row)
            if problem is not None:
                return problem
        return None

    def _rows(self) -> Iterator[dict[str, Any]]:
        cursor = self.start.sequence
        while True:
            rows = list(
                AuditEvent.objects.filter(sequence__gt=cursor).order_by("sequence").values(*EVENT_COLUMNS)[:CHUNK]
            )
            yield from rows
            if len(rows) < CHUNK:
                return
            cursor = rows[-1]["sequence"]

    def _check(self, row: dict[str, Any]) -> Break | None:
        sequence: int = row["sequence"]
        if sequence != self.expected_sequence:
            return Break("missing", self.expected_sequence, f"Event #{self.expected_sequence} is missing.")
        if row_hash(self.agency.pk, row) != row["hash"]:
            return self._classify_mismatch(row)
        if row["prev_hash"] != self.expected_prev:
            return Break(
                "edited",
                sequence - 1,
                f"Event #{sequence - 1} was altered and re-hashed: event #{sequence} commits to another hash.",
            )
        self.result.events_checked += 1
        if self.result.first_sequence is None:
            self.result.first_sequence = sequence
        self.result.last_sequence = sequence
        self.expected_sequence = sequence + 1
        self.expected_prev = row["hash"]
        self.last_hash = row["hash"]
        return self._checkpoint_at(sequence, row["hash"])

    def _checkpoint_at(self, sequence: int, digest: str) -> Break | None:
        while self.pending and self.pending[0].sequence <= sequence:
            checkpoint = self.pending.pop(0)
            self.result.checkpoints_checked += 1
            if checkpoint.sequence == sequence and checkpoint.head_hash != digest:
                return Break(
                    "rewritten",
                    sequence,
                    f"The chain up to #{sequence} differs from the signed checkpoint at #{sequence}; "
                    f"it was rewritten after #{self.vouched}.",
                    since_sequence=self.vouched,
                )
            if checkpoint.sequence == sequence:
                self.vouched = sequence
        return None

    def leftover_checkpoints(self) -> Break | None:
        # A signed checkpoint beyond the last event: the tail was deleted.
        last = self.expected_sequence - 1
        return Break(
            "missing",
            last + 1,
            f"A signed checkpoint covers #{self.pending[0].sequence} but the chain ends at #{last}.",
        )

    def _classify_mismatch(self, row: dict[str, Any]) -> Break:
        sequence: int = row["sequence"]
        predecessor = AuditEvent.objects.filter(hash=row["prev_hash"]).values_list("sequence", flat=True).first()
        origin = self._original_sequence(row, predecessor)
        if origin is not None and predecessor is None and origin > sequence:
            # Hashed further down the chain and its predecessor is gone: a row was deleted and the rest renumbered.
            return Break(
                "missing",
                sequence,
                f"Event #{sequence} was deleted and later events renumbered over the hole.",
            )
        if origin is not None:
            return Break(
                "reordered",
                sequence,
                f"Event #{sequence} holds the event hashed as #{origin}: events were reordered.",
            )
        return Break("edited", sequence, f"Event #{sequence} no longer matches its hash: it was edited.")

    def _original_sequence(self, row: dict[str, Any], predecessor: int | None) -> int | None:
        """The sequence number this row's content was hashed with, if it can be found."""
        candidates: list[int] = []
        if predecessor is not None:
            candidates.append(predecessor + 1)
        elif row["prev_hash"] in (self.start.head_hash, GENESIS_HASH):
            candidates.append(self.start.sequence + 1)
        candidates.extend(row["sequence"] + offset for offset in range(1, 11))
        for candidate in candidates:
            if candidate == row["sequence"]:
                continue
            if row_hash(self.agency.pk, {**row, "sequence": candidate}) == row["hash"]:
                return candidate
        return None


def _check_anchor(start: CheckpointRef) -> Break | None:
    """A chain that starts after #0 must say why: a retained retention.purged event naming this exact anchor,
    for events at least six months old. Otherwise someone deleted a prefix and moved the anchor to hide it."""
    if start.sequence == 0:
        return None
    justified_below = 0
    purges = AuditEvent.objects.filter(action=RETENTION_PURGED, sequence__gt=start.sequence).values_list(
        "details", "occurred_at"
    )
    for details, occurred_at in purges:
        if not isinstance(details, dict):
            continue
        through = details.get("through_sequence")
        if details.get("scope") != "audit_events" or not isinstance(through, int):
            continue
        if through == start.sequence and details.get("anchor_hash") == start.head_hash:
            before = parse_datetime(str(details.get("before") or ""))
            if before is not None and before <= occurred_at - timedelta(days=MIN_AUDIT_RETENTION_DAYS):
                return None
        elif through < start.sequence:
            justified_below = max(justified_below, through)
    return Break(
        "missing",
        justified_below + 1,
        f"Events #{justified_below + 1} to #{start.sequence} were removed without a recorded retention purge.",
    )


def _check_head(head: AuditChainHead, walker: _Walker) -> Break | None:
    last = walker.expected_sequence - 1
    if head.sequence > last:
        return Break("missing", last + 1, f"The chain head records #{head.sequence} but the chain ends at #{last}.")
    if head.sequence < last:
        return Break("edited", head.sequence + 1, f"Events after the recorded head #{head.sequence} were inserted.")
    if head.head_hash != walker.last_hash:
        return Break("edited", last, f"Event #{last} was altered and re-hashed: the chain head disagrees.")
    return None


def row_hash(agency_id: int, row: dict[str, Any]) -> str:
    return event_hash(
        event_document(
            agency_id=agency_id,
            sequence=row["sequence"],
            occurred_at=row["occurred_at"],
            actor_kind=row["actor_kind"],
            actor_id=row["actor_id"],
            actor_label=row["actor_label"],
            action=row["action"],
            target_type=row["target_type"],
            target_id=row["target_id"],
            ip=row["ip"],
            user_agent=row["user_agent"],
            details=row["details"],
            prev_hash=row["prev_hash"],
        )
    )
