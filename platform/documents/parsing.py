"""Run extraction in a child process with memory and CPU limits, so a hostile file cannot take a worker down."""

from __future__ import annotations

import json
import logging
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from documents.i18n import gettext_noop

logger = logging.getLogger(__name__)

_PLATFORM_DIR = str(Path(__file__).resolve().parent.parent)
_CHILD = f"import sys; sys.path.insert(0, {_PLATFORM_DIR!r}); from documents.extraction import child_main; child_main()"


@dataclass(frozen=True)
class ParseOutcome:
    extraction: dict[str, Any] | None
    error_code: str = ""
    error_message: str = ""


def _limits() -> None:  # runs in the child between fork and exec
    memory = settings.TRAMONTANE_PARSE_MEMORY_MB * 1024 * 1024
    cpu = settings.TRAMONTANE_PARSE_CPU_SECONDS
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def parse_file(*, path: str, mime_type: str) -> ParseOutcome:
    """Extract `path` in an isolated interpreter (-I: no user site, no env paths)."""
    try:
        completed = subprocess.run(
            [sys.executable, "-I", "-c", _CHILD, path, mime_type],
            capture_output=True,
            timeout=settings.TRAMONTANE_PARSE_WALL_SECONDS,
            preexec_fn=_limits,
            check=False,
            env={"PYTHONHASHSEED": "0", "LANG": "C.UTF-8"},
        )
    except subprocess.TimeoutExpired:
        return ParseOutcome(
            None,
            "too_slow",
            gettext_noop(
                "Reading this document took too long; it was stopped. Split it into smaller files or re-export it."
            ),
        )
    if completed.returncode != 0:
        # Killed by a limit (SIGKILL/SIGXCPU) or crashed on MemoryError while importing. A fixed text, so it can be
        # shown translated; the limits are in the log.
        logger.info(
            "parse child stopped (exit %s): limits %s MB, %s s CPU",
            completed.returncode,
            settings.TRAMONTANE_PARSE_MEMORY_MB,
            settings.TRAMONTANE_PARSE_CPU_SECONDS,
        )
        return ParseOutcome(
            None,
            "too_complex",
            gettext_noop(
                "This document exceeds the safe processing limits (memory or processing time). "
                "It may be malformed or a decompression bomb; re-export it or split it."
            ),
        )
    try:
        payload = json.loads(completed.stdout)
    except ValueError:
        return ParseOutcome(
            None, "unreadable", gettext_noop("The document could not be read. Re-export it and try again.")
        )
    if "error" in payload:
        return ParseOutcome(None, payload["error"]["code"], payload["error"]["message"])
    return ParseOutcome(payload["ok"])
