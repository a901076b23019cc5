#!/usr/bin/env python3
"""Tramontane quick start: from a fresh checkout to a running workspace with one command.

    python3 scripts/quickstart.py [--port 8000] [--host 127.0.0.1] [--data-dir ./var] [--no-install] [--no-detect]

Creates .venv if absent and installs the project, migrates (SQLite in the data folder unless DATABASE_URL is set),
collects static files, creates the demo agency and an admin user (password printed once), registers local model
servers when found, then runs the web server (gunicorn, static files via WhiteNoise, DEBUG off) and a real Celery
worker with embedded beat (queues default, parse, llm; filesystem broker in the data folder: no server needed)
in the foreground until Ctrl-C, which stops both.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from _common import ROOT, check_python, child_env, ensure_venv, fail, pip_install, run, step, venv_python

STARTUP_TIMEOUT_SECONDS = 90
STOP_TIMEOUT_SECONDS = 25
QUEUES = "default,parse,llm"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    check_python()
    signal.signal(signal.SIGTERM, _raise_interrupt)  # `kill <pid>` stops the children too, like Ctrl-C
    data_dir = Path(args.data_dir).expanduser().resolve()
    _check_port_free(args.host, args.port)
    python = _python(install=not args.no_install)
    env = child_env({"TRAMONTANE_DATA_DIR": str(data_dir)})
    _allow_host(env, args.host)
    manage = [str(python), str(ROOT / "manage.py")]

    step(f"Preparing the database (data folder: {data_dir})")
    run([*manage, "migrate", "--noinput"], what="migrate", env=env)
    step("Collecting static files")
    run([*manage, "collectstatic", "--noinput", "--verbosity", "0"], what="collectstatic", env=env)
    step("Creating the demo agency and its admin (if absent)")
    credentials = _bootstrap(python, env, detect=not args.no_detect)

    step(f"Starting the web server and the worker on http://{_display_host(args.host)}:{args.port}/")
    processes = _start(python, env, args)
    try:
        _wait_until_up(args, processes)
        _banner(args, credentials, processes)
        return _supervise(processes)
    except KeyboardInterrupt:
        print("\n==> Stopping (Ctrl-C)...", flush=True)
        return 0
    finally:
        _stop(processes)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run Tramontane locally: web server and worker, until Ctrl-C.")
    parser.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("TRAMONTANE_DATA_DIR", str(ROOT / "var")),
        help="folder for the SQLite database, uploads, broker queue and keys (default ./var)",
    )
    parser.add_argument("--no-install", action="store_true", help="skip creating .venv and pip install")
    parser.add_argument("--no-detect", action="store_true", help="do not look for local model servers")
    return parser.parse_args(argv)


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            fail(
                f"Cannot listen on {host}:{port} ({exc.strerror}). Is Tramontane already running? "
                "Stop it, or choose another port with --port."
            )


def _python(*, install: bool) -> Path:
    if install:
        python = ensure_venv()
        pip_install(python, ".")
        return python
    # --no-install: the interpreter running this script if it has the dependencies, else an existing .venv.
    if importlib.util.find_spec("django") is not None:
        return Path(sys.executable)
    if venv_python().exists():
        return venv_python()
    fail("--no-install needs the dependencies installed: run without --no-install once.")
    raise AssertionError("unreachable")


def _allow_host(env: dict[str, str], host: str) -> None:
    """Listening beyond loopback: accept this machine's names too, unless ALLOWED_HOSTS says otherwise."""
    if "ALLOWED_HOSTS" in env or host in LOCAL_HOSTS:
        return
    names = ["localhost", "127.0.0.1", "[::1]", socket.gethostname(), socket.getfqdn()]
    if host not in {"0.0.0.0", "::"}:  # noqa: S104 - comparing, not binding
        names.append(f"[{host}]" if ":" in host else host)
    env["ALLOWED_HOSTS"] = ",".join(dict.fromkeys(names))


def _bootstrap(python: Path, env: dict[str, str], *, detect: bool) -> dict[str, str | None]:
    result = subprocess.run(
        [str(python), str(ROOT / "scripts" / "_quickstart_bootstrap.py"), *([] if detect else ["--no-detect"])],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        fail(f"Creating the demo agency failed (exit code {result.returncode}); see the messages above.")
    lines = result.stdout.strip().splitlines()
    for line in lines[:-1]:
        print(line, flush=True)
    return dict(json.loads(lines[-1]))


def _start(python: Path, env: dict[str, str], args: argparse.Namespace) -> dict[str, subprocess.Popen[bytes]]:
    processes: dict[str, subprocess.Popen[bytes]] = {}
    for name, command in (("web server", _web_command(python, args)), ("worker", _worker_command(python))):
        # Own process group each, so stopping one stops its children (gunicorn workers, the worker pool, beat).
        processes[name] = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        print(f"    {name} started (pid {processes[name].pid})", flush=True)
    return processes


def _web_command(python: Path, args: argparse.Namespace) -> list[str]:
    bind = f"[{args.host}]:{args.port}" if ":" in args.host else f"{args.host}:{args.port}"
    if os.name == "nt":
        # gunicorn does not run on Windows; Django's server (no autoreload) serves static files through WhiteNoise.
        return [str(python), str(ROOT / "manage.py"), "runserver", "--noreload", bind]
    return [
        *(str(python), "-m", "gunicorn", "config.wsgi:application", "--bind", bind),
        *("--workers", "1", "--threads", "4", "--graceful-timeout", "10"),
        *("--access-logfile", "-", "--error-logfile", "-"),
        # No control socket: it would live in ~/.gunicorn and clash between two local instances.
        "--no-control-socket",
    ]


def _worker_command(python: Path) -> list[str]:
    return [
        *(str(python), "-m", "celery", "--app", "config.celery:app", "worker", "--beat"),
        *("--queues", QUEUES, "--concurrency", "2", "--loglevel", "INFO", "--hostname", "quickstart@%h"),
        # prefork needs fork(): threads on Windows.
        *(("--pool", "threads") if os.name == "nt" else ()),
        # One worker and a broker folder: nothing to synchronise with, and the folder broker has no broadcast.
        *("--without-mingle", "--without-gossip"),
    ]


def _wait_until_up(args: argparse.Namespace, processes: dict[str, subprocess.Popen[bytes]]) -> None:
    url = f"http://{_probe_host(args.host)}:{args.port}/healthz"
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        _check_alive(processes)
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    fail(f"The web server did not answer {url} within {STARTUP_TIMEOUT_SECONDS} s; see the messages above.")


def _banner(
    args: argparse.Namespace, credentials: dict[str, str | None], processes: dict[str, subprocess.Popen[bytes]]
) -> None:
    url = f"http://{_display_host(args.host)}:{args.port}/"
    username = credentials["username"]
    if credentials.get("password"):
        password_line = f"  Password:  {credentials['password']}   (shown this once: change it after signing in)"
    else:
        password_line = (
            "  Password:  shown when this data folder was first set up; to set a new one run\n"
            f"             {venv_python()} manage.py changepassword {username}"
        )
    print(
        "\n" + "=" * 72 + "\n"
        f"  Tramontane is running: {url}\n"
        f"  Sign in as: {username} (agency admin of {credentials.get('agency')!r}, platform operator)\n"
        f"{password_line}\n"
        f"  Web server pid {processes['web server'].pid}, worker pid {processes['worker'].pid}.\n"
        "  Press Ctrl-C to stop both.\n" + "=" * 72 + "\n",
        flush=True,
    )


def _supervise(processes: dict[str, subprocess.Popen[bytes]]) -> int:
    while True:
        for name, process in processes.items():
            code = process.poll()
            if code is not None:
                print(f"\nERROR: the {name} stopped unexpectedly (exit code {code}); stopping.", flush=True)
                return 1
        time.sleep(0.5)


def _check_alive(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for name, process in processes.items():
        if process.poll() is not None:
            fail(f"The {name} exited during start-up (exit code {process.returncode}); see the messages above.")


def _stop(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    """SIGTERM each leader, then SIGKILL what is left of its process group after a delay."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not leave orphans behind
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for process in processes.values():
        # The leader only: gunicorn and Celery then stop their own workers gracefully (tasks finish).
        process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for name, process in processes.items():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"    the {name} did not stop within {STOP_TIMEOUT_SECONDS} s: killing it", flush=True)
        # Whatever remains of the group (pool processes, beat) goes too.
        _signal_group(process, signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM)
        process.wait(timeout=10)
    print("==> Stopped.", flush=True)


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    try:
        if os.name == "nt":
            process.send_signal(sig)
        else:
            os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _probe_host(host: str) -> str:
    if host in {"0.0.0.0", ""}:  # noqa: S104 - comparing, not binding
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _display_host(host: str) -> str:
    if host in {"0.0.0.0", "::", ""}:  # noqa: S104 - comparing, not binding
        return "localhost"
    return f"[{host}]" if ":" in host else host


if __name__ == "__main__":
    sys.exit(main())
