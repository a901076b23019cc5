"""Smoke test of the README's first command: scripts/quickstart.py brings up the web server and a real worker.

Runs on SQLite and the filesystem broker in a temporary data folder, as on a fresh machine: the PostgreSQL/Redis
variables of the test run are removed from the child's environment.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 180  # migrate from nothing + gunicorn + Celery on a busy 2-core machine
STOP_TIMEOUT = 60
WORK_TIMEOUT = 120  # parse + summary on a loaded machine


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _group_alive(pgid: int) -> bool:
    """Any non-zombie process left in this process group?"""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state != "Z":
            return True
    return False


class QuickStart:
    def __init__(self, tmp_path: Path, log_name: str = "quickstart.log") -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / log_name
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "TRAMONTANE_DATA_DIR", "SECRET_KEY"}
        }
        command = [
            sys.executable,
            str(ROOT / "scripts" / "quickstart.py"),
            "--no-install",
            # A developer's own Ollama or vLLM must not take the smoke test's summary: the built-in summariser does.
            "--no-detect",
            "--port",
            str(self.port),
            "--data-dir",
            str(tmp_path / "data"),
        ]
        self.env = {**env, "TRAMONTANE_DATA_DIR": str(tmp_path / "data")}
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def tail(self) -> str:
        return "\n".join(self.output().splitlines()[-60:])

    def wait_for(self, predicate, what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            assert self.process.poll() is None, f"quick start exited early while waiting for {what}:\n{self.tail()}"
            time.sleep(0.5)
        pytest.fail(f"timed out after {timeout} s waiting for {what}:\n{self.tail()}")

    def child_pids(self) -> dict[str, int]:
        return {name: int(pid) for name, pid in re.findall(r"(web server|worker) started \(pid (\d+)\)", self.output())}

    def kill_everything(self, pids: list[int]) -> None:
        for pgid in [self.process.pid, *pids]:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.log.close()


def _healthz_ok(base: str) -> bool:
    try:
        return _get(f"{base}/healthz")[0] == 200
    except (urllib.error.URLError, OSError):
        return False


def _api(quick: QuickStart, key: str, path: str, body: bytes | None = None, content_type: str = "") -> dict:
    request = urllib.request.Request(f"{quick.base}{path}", data=body, headers={"Authorization": f"Bearer {key}"})
    if content_type:
        request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _work_goes_through_the_real_worker(quick: QuickStart, tmp_path: Path) -> str:
    """An upload is parsed (queue parse) and a summary made (queue llm) by the worker, through the folder broker."""
    env = {**quick.env, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'platform'}"}
    made = subprocess.run(
        [sys.executable, "manage.py", "createapikey", "--agency", "demo", "--role", "member", "--name", "smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1]
    text = b"Tramontane routes documents under residency policy. " * 3 + b"\n\nAgencies keep control. " * 3
    boundary = "tramontane-smoke"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="smoke.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()
        + text
        + f"\r\n--{boundary}--\r\n".encode()
    )
    document = _api(quick, key, "/api/v1/documents", body, f"multipart/form-data; boundary={boundary}")
    quick.wait_for(
        lambda: _api(quick, key, f"/api/v1/documents/{document['id']}")["status"] != "processing",
        "the worker to parse the upload",
        WORK_TIMEOUT,
    )
    assert _api(quick, key, f"/api/v1/documents/{document['id']}")["status"] == "ready", quick.tail()
    job = _api(
        quick,
        key,
        "/api/v1/jobs",
        json.dumps({"document": document["id"], "kind": "summarise"}).encode(),
        "application/json",
    )
    quick.wait_for(
        lambda: _api(quick, key, f"/api/v1/jobs/{job['id']}")["status"] in {"succeeded", "failed", "cancelled"},
        "the worker to finish the job",
        WORK_TIMEOUT,
    )
    assert _api(quick, key, f"/api/v1/jobs/{job['id']}")["status"] == "succeeded", quick.tail()
    return key


def _wait_until_serving(quick: QuickStart) -> dict[str, int]:
    quick.wait_for(lambda: _healthz_ok(quick.base), "/healthz", START_TIMEOUT)
    quick.wait_for(
        lambda: "quickstart@" in quick.output() and " ready." in quick.output(),
        "the Celery worker to be ready",
        START_TIMEOUT,
    )
    children = quick.child_pids()
    assert set(children) == {"web server", "worker"}, quick.tail()
    return children


def _stop_and_check(quick: QuickStart, children: dict[str, int]) -> None:
    os.killpg(quick.process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    try:
        code = quick.process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"quick start did not stop within {STOP_TIMEOUT} s of SIGINT:\n{quick.tail()}")
    assert code == 0, quick.tail()
    assert "Stopped." in quick.output()
    deadline = time.monotonic() + 15
    while any(_group_alive(pid) for pid in children.values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _group_alive(children["worker"]), "the Celery worker (or its pool) outlived the quick start"
    assert not _group_alive(children["web server"]), "gunicorn outlived the quick start"
    assert not _healthz_ok(quick.base)


@pytest.mark.slow
def test_quickstart_serves_and_stops_cleanly(tmp_path: Path) -> None:
    quick = QuickStart(tmp_path)
    children: dict[str, int] = {}
    try:
        children = _wait_until_serving(quick)
        status, body = _get(f"{quick.base}/healthz")
        assert (status, body) == (200, b'{"status": "ok"}')
        status, body = _get(f"{quick.base}/accounts/login/")
        assert status == 200, body[:500]
        assert b'name="password"' in body
        # DEBUG is off, so this static file is served by WhiteNoise from collectstatic's output.
        assert _get(f"{quick.base}/static/admin/css/base.css")[0] == 200
        status, body = _get(f"{quick.base}/readyz")
        assert status == 200, body
        # The admin's password is printed once, with the URL, and stored nowhere in clear.
        printed = re.search(r"Password:\s+(\S{12,})", quick.output())
        assert printed, quick.tail()
        password = printed.group(1).encode()
        for path in (tmp_path / "data").rglob("*"):
            if path.is_file():
                assert password not in path.read_bytes(), f"the admin password is in clear in {path}"
        assert f"http://127.0.0.1:{quick.port}/" in quick.output()
        assert "Control socket listening" not in quick.output()  # shared ~/.gunicorn socket: two instances clash
        key = _work_goes_through_the_real_worker(quick, tmp_path)
        _stop_and_check(quick, children)
    finally:
        quick.kill_everything(list(children.values()))

    # A second start on the same data folder keeps everything and prints no password.
    again = QuickStart(tmp_path, log_name="quickstart-again.log")
    children = {}
    try:
        children = _wait_until_serving(again)
        assert password.decode() not in again.output()
        assert "changepassword admin" in again.output()
        assert _api(again, key, "/api/v1/me")["agency"]["slug"] == "demo"
        _stop_and_check(again, children)
    finally:
        again.kill_everything(list(children.values()))
