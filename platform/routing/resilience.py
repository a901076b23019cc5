"""Per-endpoint circuit breaker, concurrency limit and RPM/TPM limits, shared by every worker.

With REDIS_URL set, state lives in Redis (atomic Lua scripts, keys expire by themselves). Without Redis (the
single-host quick start) it lives in the database, in row-locked transactions, which every process of the host
shares. Rate windows are fixed one-minute windows; concurrency leases expire so a killed worker frees its slot.
"""

from __future__ import annotations

import functools
import time
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction

from routing.models import Endpoint, EndpointLease, EndpointState


def routing_setting(name: str, default: float) -> float:
    """A numeric ROUTING_* setting (read at call time, so tests and operators can change it)."""
    return float(getattr(settings, name, default))


def request_timeout() -> float:
    return routing_setting("ROUTING_REQUEST_TIMEOUT", 120.0)


def breaker_threshold() -> int:
    return int(routing_setting("ROUTING_BREAKER_FAILURES", 3))


def breaker_open_seconds() -> float:
    return routing_setting("ROUTING_BREAKER_OPEN_SECONDS", 30.0)


def lease_seconds() -> float:
    # A lease outlives the longest request, so a crashed worker's slot frees itself after this.
    return request_timeout() + 30.0


@dataclass(frozen=True)
class Admission:
    admitted: bool
    token: str = ""
    retry_in: float = 0.0  # seconds to wait before asking again when not admitted
    reason: str = ""


class Limits(Protocol):
    def open_names(self, names: list[str]) -> set[str]: ...
    def record_success(self, name: str) -> None: ...
    def record_failure(self, name: str) -> bool: ...  # True when this failure opened the breaker
    def cool_down(self, name: str, seconds: float) -> None: ...
    def acquire(self, endpoint: Endpoint, tokens: int) -> Admission: ...
    def release(self, name: str, token: str) -> None: ...


_ACQUIRE = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local max_conc = tonumber(ARGV[3])
if max_conc > 0 and redis.call('ZCARD', KEYS[1]) >= max_conc then return {0, 'concurrency'} end
local rpm = tonumber(ARGV[4])
if rpm > 0 and tonumber(redis.call('GET', KEYS[2]) or '0') + 1 > rpm then return {0, 'rpm'} end
local tpm = tonumber(ARGV[5])
local used = tonumber(redis.call('GET', KEYS[3]) or '0')
if tpm > 0 and used > 0 and used + tonumber(ARGV[6]) > tpm then return {0, 'tpm'} end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[7])
redis.call('EXPIRE', KEYS[1], 3600)
if rpm > 0 then redis.call('INCR', KEYS[2]); redis.call('EXPIRE', KEYS[2], 120) end
if tpm > 0 then redis.call('INCRBY', KEYS[3], ARGV[6]); redis.call('EXPIRE', KEYS[3], 120) end
return {1, ''}
"""


def _retry_in(reason: str, now: float) -> float:
    if reason == "concurrency":
        return 0.2
    return max(0.05, 60.0 - (now % 60.0))  # the next one-minute window


class RedisLimits:
    prefix = "tramontane:routing:"

    def __init__(self, url: str) -> None:
        import redis

        self.client: Any = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._acquire = self.client.register_script(_ACQUIRE)

    def _key(self, name: str, part: str) -> str:
        return f"{self.prefix}{name}:{part}"

    def open_names(self, names: list[str]) -> set[str]:
        if not names:
            return set()
        flags = self.client.mget([self._key(name, "open") for name in names])
        return {name for name, flag in zip(names, flags, strict=True) if flag is not None}

    def record_success(self, name: str) -> None:
        self.client.delete(self._key(name, "fails"))

    def record_failure(self, name: str) -> bool:
        key = self._key(name, "fails")
        pipe = self.client.pipeline()
        pipe.incr(key)
        pipe.expire(key, int(breaker_open_seconds() * 4) + 60)
        failures = int(pipe.execute()[0])
        if failures >= breaker_threshold():
            # Stays counted while open: the first failure after reopening (half-open) trips it again.
            self.cool_down(name, breaker_open_seconds())
            return True
        return False

    def cool_down(self, name: str, seconds: float) -> None:
        key = self._key(name, "open")
        millis = max(1, int(seconds * 1000))
        current = self.client.pttl(key)
        if current is None or current < millis:
            self.client.set(key, "1", px=millis)

    def acquire(self, endpoint: Endpoint, tokens: int) -> Admission:
        now = time.time()
        window = int(now // 60)
        token = uuid.uuid4().hex
        admitted, reason = self._acquire(
            keys=[
                self._key(endpoint.name, "leases"),
                self._key(endpoint.name, f"rpm:{window}"),
                self._key(endpoint.name, f"tpm:{window}"),
            ],
            args=[now, now + lease_seconds(), endpoint.max_concurrency, endpoint.rpm, endpoint.tpm, tokens, token],
        )
        if int(admitted):
            return Admission(True, token)
        reason_text = reason.decode() if isinstance(reason, bytes) else str(reason)
        return Admission(False, "", _retry_in(reason_text, now), reason_text)

    def release(self, name: str, token: str) -> None:
        self.client.zrem(self._key(name, "leases"), token)


class DatabaseLimits:
    """Single-host fallback: the same semantics in row-locked transactions."""

    def _state(self, name: str) -> EndpointState:
        endpoint = Endpoint.objects.get(name=name)
        EndpointState.objects.get_or_create(endpoint=endpoint)
        return EndpointState.objects.select_for_update().get(endpoint=endpoint)

    def open_names(self, names: list[str]) -> set[str]:
        now = time.time()
        return set(
            EndpointState.objects.filter(endpoint__name__in=names, open_until__gt=now).values_list(
                "endpoint__name", flat=True
            )
        )

    def record_success(self, name: str) -> None:
        EndpointState.objects.filter(endpoint__name=name).update(consecutive_failures=0)

    def record_failure(self, name: str) -> bool:
        with transaction.atomic():
            state = self._state(name)
            state.consecutive_failures += 1
            opened = state.consecutive_failures >= breaker_threshold()
            if opened:
                state.open_until = max(state.open_until, time.time() + breaker_open_seconds())
            state.save()
        return opened

    def cool_down(self, name: str, seconds: float) -> None:
        with transaction.atomic():
            state = self._state(name)
            state.open_until = max(state.open_until, time.time() + seconds)
            state.save()

    def acquire(self, endpoint: Endpoint, tokens: int) -> Admission:
        now = time.time()
        with transaction.atomic():
            state = self._state(endpoint.name)
            EndpointLease.objects.filter(endpoint=endpoint, expires_at__lte=now).delete()
            if endpoint.max_concurrency and EndpointLease.objects.filter(endpoint=endpoint).count() >= (
                endpoint.max_concurrency
            ):
                return Admission(False, "", _retry_in("concurrency", now), "concurrency")
            window = float(int(now // 60) * 60)
            if state.window_start != window:
                state.window_start, state.window_requests, state.window_tokens = window, 0, 0
            if endpoint.rpm and state.window_requests + 1 > endpoint.rpm:
                return Admission(False, "", _retry_in("rpm", now), "rpm")
            if endpoint.tpm and state.window_tokens and state.window_tokens + tokens > endpoint.tpm:
                return Admission(False, "", _retry_in("tpm", now), "tpm")
            state.window_requests += 1
            state.window_tokens += tokens
            state.save()
            token = uuid.uuid4().hex
            EndpointLease.objects.create(endpoint=endpoint, token=token, expires_at=now + lease_seconds())
        return Admission(True, token)

    def release(self, name: str, token: str) -> None:
        EndpointLease.objects.filter(token=token).delete()


@functools.lru_cache(maxsize=4)
def _redis_limits(url: str) -> RedisLimits:
    return RedisLimits(url)


def limits() -> Limits:
    url = str(getattr(settings, "REDIS_URL", "") or "")
    if url:
        return _redis_limits(url)
    return DatabaseLimits()
