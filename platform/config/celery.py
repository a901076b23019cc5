"""The Celery application. Workers start with platform/ on sys.path (see scripts/ and docker-compose.yml)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tramontane")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
