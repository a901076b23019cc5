"""platform/ is a source root, never a package: the standard library's `platform` must win everywhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = "import platform, sys; assert hasattr(platform, 'system'), platform; print(platform.system())"


def test_platform_dir_has_no_init() -> None:
    assert not (ROOT / "platform" / "__init__.py").exists()
    assert not (ROOT / "platform.py").exists()


def test_stdlib_platform_under_pytest() -> None:
    import platform

    assert platform.system() in {"Linux", "Darwin", "Windows"}
    assert Path(platform.__file__).parent != ROOT / "platform"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'platform'}"}
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_stdlib_platform_from_manage_py() -> None:
    result = _run(sys.executable, "manage.py", "shell", "-c", PROBE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] in {"Linux", "Darwin", "Windows"}


def test_stdlib_platform_from_celery_app() -> None:
    # Celery imports platform (via kombu/billiard) when the app loads: loading it proves the stdlib module is used.
    code = (
        "import config.celery, platform, uuid; print(platform.system(), config.celery.app.main, uuid.uuid4().version)"
    )
    result = _run(sys.executable, "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [result.stdout.split()[0], "tramontane", "4"]
    assert result.stdout.split()[0] in {"Linux", "Darwin", "Windows"}
