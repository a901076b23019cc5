#!/usr/bin/env python3
"""Tramontane test command: installs the project with its dev tools, then runs every check.

    python3 scripts/test.py [--no-install] [pytest arguments...]

Creates .venv if absent, installs `.[dev]`, then runs ruff check, ruff format --check, mypy (platform/ and
tenants/) and pytest (the whole suite, or the arguments given). Every step runs even when an earlier one fails;
a summary follows and the exit code is non-zero if any step failed. The tests need real PostgreSQL and Redis:
DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/tramontane and REDIS_URL / CELERY_BROKER_URL to
redis://127.0.0.1:6379/0.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from _common import ROOT, check_python, child_env, ensure_venv, pip_install, step, venv_python

DEFAULTS = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/tramontane",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}
PYTEST_NO_TESTS = 5


def main(argv: list[str]) -> int:
    check_python()
    install = "--no-install" not in argv
    pytest_args = [arg for arg in argv if arg != "--no-install"]
    python = ensure_venv() if install else _existing_python()
    if install:
        pip_install(python, ".[dev]")
    env = _env()
    steps = [
        ("ruff check", [str(python), "-m", "ruff", "check", "."]),
        ("ruff format --check", [str(python), "-m", "ruff", "format", "--check", "."]),
        ("mypy", [str(python), "-m", "mypy", "platform", "tenants"]),
        ("pytest", [str(python), "-m", "pytest", *pytest_args]),
    ]
    results = [(name, *_run_step(name, command, env)) for name, command in steps]
    return _summary(results)


def _existing_python() -> Path:
    python = venv_python()
    if not python.exists():
        print("--no-install needs an existing .venv: run without it once.", file=sys.stderr)
        raise SystemExit(2)
    return python


def _env() -> dict[str, str]:
    env = child_env()
    for name, value in DEFAULTS.items():
        if not env.get(name):
            env[name] = value
            print(f"    {name} not set: using {value}", flush=True)
    if not env.get("CELERY_BROKER_URL"):
        env["CELERY_BROKER_URL"] = env["REDIS_URL"]
    return env


def _run_step(name: str, command: list[str], env: dict[str, str]) -> tuple[int, float]:
    step(name)
    started = time.monotonic()
    code = subprocess.run(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, check=False).returncode
    return code, time.monotonic() - started


def _summary(results: list[tuple[str, int, float]]) -> int:
    print("\n" + "=" * 60 + "\nSummary", flush=True)
    failed = False
    for name, code, seconds in results:
        if code == 0:
            verdict = "ok"
        elif name == "pytest" and code == PYTEST_NO_TESTS:
            # No test collected is a broken run, never a pass.
            verdict = "FAILED (no tests were collected)"
        else:
            verdict = f"FAILED (exit code {code})"
        failed = failed or code != 0
        print(f"  {name:<22} {verdict:<36} {seconds:7.1f} s", flush=True)
    print("=" * 60 + ("\nSome checks FAILED: see above." if failed else "\nAll checks passed."), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
