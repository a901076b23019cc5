"""Real Celery worker subprocesses for tests (never eager mode): start, wait ready, stop, SIGKILL pool children.

    from tests.support.workers import start_worker
    worker = start_worker(queues=("default", "parse", "llm"), concurrency=1, env={"TRAMONTANE_JOB_LEASE_SECONDS": "5"})
    ...
    worker.kill_pool_child()   # SIGKILL the prefork child running a task: tests task_reject_on_worker_lost
    worker.stop()

Workers use pytest-django's TEST database (read inside the test, so the test needs
`@pytest.mark.django_db(transaction=True)`: workers cannot see rows of an open test transaction) and the broker from
the environment (CELERY_BROKER_URL). Every wait is bounded.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    from django.conf import settings
    from django.db import connection

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise RuntimeError("Worker tests need PostgreSQL: set DATABASE_URL=postgres://...")
    name = connection.settings_dict["NAME"]  # the test database once pytest-django has set it up
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name}"


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    hostname: str
    log_path: Path
    queues: tuple[str, ...]
    _log: object = field(repr=False, default=None)

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self, timeout: float = 60) -> Worker:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log():
                return self
            if not self.alive():
                raise RuntimeError(f"worker {self.hostname} exited early:\n{self.log()[-4000:]}")
            time.sleep(0.2)
        raise TimeoutError(f"worker {self.hostname} not ready after {timeout}s:\n{self.log()[-4000:]}")

    def pool_children(self) -> list[int]:
        """PIDs of the prefork pool processes (children of the main worker process)."""
        try:
            text = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def kill_pool_child(self, sig: int = signal.SIGKILL) -> list[int]:
        children = self.pool_children()
        for pid in children:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        return children

    def stop(self, timeout: float = 20) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL of the worker and its children if it does not exit in time."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close()

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children): as if its host died."""
        children = self.pool_children()
        if self.alive():
            self.process.kill()
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._close()

    def _close(self) -> None:
        handle = self._log
        if handle is not None and hasattr(handle, "close"):
            handle.close()
            self._log = None


def start_worker(
    *,
    queues: Iterable[str] = ("default", "parse", "llm"),
    concurrency: int = 1,
    env: Mapping[str, str] | None = None,
    name: str = "",
    database_url: str = "",
    wait: bool = True,
    timeout: float = 60,
    pool: str = "prefork",
) -> Worker:
    queues = tuple(queues)
    hostname = f"{name or 'test'}-{uuid.uuid4().hex[:8]}@localhost"
    from django.conf import settings

    child_env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'platform'}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url or test_database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        "TRAMONTANE_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", settings.CELERY_BROKER_URL),
        **(env or {}),
    }
    log_file = tempfile.NamedTemporaryFile(
        prefix=f"celery-{hostname.split('@')[0]}-",
        suffix=".log",
        delete=False,
    )
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-Q",
        ",".join(queues),
        "-c",
        str(concurrency),
        "-n",
        hostname,
        "-P",
        pool,
        "-O",
        "fair",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel",
        "INFO",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=child_env, stdout=log_file, stderr=subprocess.STDOUT)
    worker = Worker(process=process, hostname=hostname, log_path=Path(log_file.name), queues=queues, _log=log_file)
    if wait:
        try:
            worker.wait_ready(timeout)
        except Exception:
            worker.kill()
            raise
    return worker


def wait_for(
    predicate: Callable[[], object], *, timeout: float = 60, interval: float = 0.25, message: str = "condition"
) -> object:
    """Poll `predicate` until it returns a truthy value; TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {message}")


def broker_flush() -> None:
    """FLUSHDB on the broker's Redis database (ours only; never FLUSHALL on a shared Redis)."""
    import redis
    from django.conf import settings

    url = os.environ.get("CELERY_BROKER_URL", settings.CELERY_BROKER_URL)
    if not url.startswith("redis://"):
        raise RuntimeError("broker_flush needs a Redis broker")
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()
