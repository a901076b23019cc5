"""docker-compose.yml, Dockerfile, .ci/run and docs/operations.md stay consistent with the code.

No Docker engine is needed: the compose file is parsed and its references checked against the project.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ["migrate", "web", "worker-parse", "worker-llm", "beat"]


def test_compose_has_every_service() -> None:
    assert set(SERVICES) >= {"postgres", "redis", *APP_SERVICES}


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_are_configured_by_environment(name: str) -> None:
    service = SERVICES[name]
    env = service["environment"]
    assert "/app/platform" in env["PYTHONPATH"].split(":")
    assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
    assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
    for secret in ("SECRET_KEY", "AUDIT_SIGNING_KEY"):
        assert ":?" in env[secret], f"{secret} must be required (${{VAR:?message}}), never defaulted"
    assert service.get("build") == "." and service.get("image")


@pytest.mark.parametrize("name", [n for n in SERVICES if n != "migrate"])
def test_long_running_services_have_health_checks(name: str) -> None:
    assert SERVICES[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_depends_on_refers_to_existing_services() -> None:
    for name, service in SERVICES.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in SERVICES, f"{name} depends on unknown service {dependency}"
    for name in ("web", "worker-parse", "worker-llm", "beat"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def _import_target(target: str) -> object:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def test_commands_point_to_real_code() -> None:
    web = SERVICES["web"]["command"]
    assert callable(_import_target(web[web.index("gunicorn") + 1]))
    for name in ("worker-parse", "worker-llm", "beat"):
        command = SERVICES[name]["command"]
        app = _import_target(command[command.index("--app") + 1])
        assert type(app).__name__ == "Celery"
    assert SERVICES["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]


def _queues_in_use() -> set[str]:
    """Every queue a task can be sent to: task routes, a task's own queue, beat entries, and the default."""
    from django.conf import settings

    from config.celery import app

    app.loader.import_default_modules()
    used = {settings.CELERY_TASK_DEFAULT_QUEUE}
    used |= {route["queue"] for route in (getattr(settings, "CELERY_TASK_ROUTES", None) or {}).values()}
    used |= {task.queue for name, task in app.tasks.items() if getattr(task, "queue", None)}
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        queue = (entry.get("options") or {}).get("queue")
        if queue:
            used.add(queue)
    return used


def test_workers_serve_every_queue_tasks_use() -> None:
    served: set[str] = set()
    for name in ("worker-parse", "worker-llm"):
        command = SERVICES[name]["command"]
        served |= set(command[command.index("--queues") + 1].split(","))
    used = _queues_in_use()
    assert {"parse", "llm", "default"} <= used, f"the routes lost a queue family: {sorted(used)}"
    assert used <= served, f"queues with no worker in docker-compose.yml: {sorted(used - served)}"
    assert "beat" in SERVICES["beat"]["command"]


def test_quickstart_worker_serves_every_queue_tasks_use() -> None:
    spec = importlib.util.spec_from_file_location("quickstart_script", ROOT / "scripts" / "quickstart.py")
    assert spec is not None and spec.loader is not None
    sys.path.insert(0, str(ROOT / "scripts"))  # quickstart.py imports its neighbour _common
    try:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    assert _queues_in_use() <= set(module.QUEUES.split(","))


def test_dockerfile_copies_what_exists_and_sets_the_path() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for line in dockerfile.splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            for source in line.split()[1:-1]:
                if source != ".":
                    assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"
    assert "PYTHONPATH=/app:/app/platform" in dockerfile
    assert "collectstatic" in dockerfile


def _settings_from_environment() -> set[str]:
    source = (ROOT / "platform" / "config" / "settings.py").read_text()
    return set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z0-9_]+)"', source))


def test_every_environment_setting_is_documented() -> None:
    operations = (ROOT / "docs" / "operations.md").read_text()
    documented = set(re.findall(r"^\|\s*`([A-Z0-9_]+)`", operations, flags=re.MULTILINE))
    missing = sorted(_settings_from_environment() - documented)
    assert not missing, (
        f"Settings read from the environment but missing from the table in docs/operations.md: {missing}. "
        "Add a row: | `NAME` | default | meaning |"
    )


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert ci.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in ci
    assert "python3 scripts/test.py" in ci
    assert "python3 scripts/test.py" in readme and "python3 scripts/quickstart.py" in readme
    assert "pg_ctlcluster --skip-systemctl-redirect" in ci and "redis-server --daemonize yes" in ci
