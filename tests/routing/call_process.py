"""Run one routed model call in a separate OS process (a stand-in for a worker): route, call, print JSON.

Usage: python tests/routing/call_process.py '{"agency_id": 1, "delay": 0.0, "settings": {...}}'
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> None:
    import django

    django.setup()
    from django.conf import settings

    from routing.errors import ModelCallError
    from routing.gateway import TaskSpec
    from routing.services import completion_create, job_route
    from tenants.models import Agency

    args = json.loads(sys.argv[1])
    for name, value in args.get("settings", {}).items():
        setattr(settings, name, value)
    time.sleep(args.get("delay", 0.0))
    agency = Agency.objects.get(pk=args["agency_id"])
    task = TaskSpec("summarise", ("fr",), 100, 50, "internal")
    decision = job_route(agency=agency, task=task)
    routed = [c.name for c in decision.candidates]
    try:
        result = completion_create(
            agency=agency, decision=decision, messages=[{"role": "user", "content": "Bonjour"}], max_tokens=50
        )
        print(json.dumps({"ok": True, "endpoint": result.endpoint_name, "routed": routed}))
    except ModelCallError as exc:
        print(
            json.dumps(
                {
                    "ok": False,
                    "error": type(exc).__name__,
                    "message": exc.message,
                    "routed": [c.name for c in decision.candidates],
                }
            )
        )


if __name__ == "__main__":
    main()
