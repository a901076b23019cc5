"""Shared by scripts/quickstart.py and scripts/test.py: the virtualenv and the environment of child processes.

Standard library only: these scripts run with the system Python before anything is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
MIN_PYTHON = (3, 11)


def fail(message: str, code: int = 1) -> None:
    print(f"\nERROR: {message}", file=sys.stderr, flush=True)
    raise SystemExit(code)


def check_python() -> None:
    if sys.version_info < MIN_PYTHON:
        fail(f"Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer is needed; this is {sys.version.split()[0]}.")


def venv_bin(name: str) -> Path:
    folder = "Scripts" if os.name == "nt" else "bin"
    suffix = ".exe" if os.name == "nt" else ""
    return VENV / folder / f"{name}{suffix}"


def venv_python() -> Path:
    return venv_bin("python")


def ensure_venv() -> Path:
    """Create .venv at the checkout root if absent; return its Python."""
    python = venv_python()
    if python.exists():
        return python
    step(f"Creating the virtual environment {VENV}")
    try:
        venv.EnvBuilder(with_pip=True, upgrade_deps=False).create(VENV)
    except (subprocess.CalledProcessError, OSError) as exc:
        shutil.rmtree(VENV, ignore_errors=True)  # half-made: the next run must start over, not reuse it
        fail(
            f"Could not create {VENV} ({exc}). On Debian/Ubuntu install the venv module first "
            "(`sudo apt install python3-venv`), then run this command again."
        )
    return python


def pip_install(python: Path, target: str) -> None:
    step(f"Installing {target} into .venv (first run downloads the dependencies; later runs are quick)")
    run(
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--quiet", "-e", target],
        what="pip install",
    )


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for Django/Celery children: the checkout and platform/ importable, settings selected."""
    env = dict(os.environ)
    paths = [str(ROOT), str(ROOT / "platform")]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.update(extra or {})
    return env


def run(command: list[str], *, what: str, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(command, cwd=ROOT, env=env or child_env(), check=False)
    if result.returncode != 0:
        fail(f"{what} failed (exit code {result.returncode}); see the messages above.", result.returncode)


def step(message: str) -> None:
    print(f"==> {message}", flush=True)
