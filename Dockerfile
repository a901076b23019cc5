# Tramontane: one image for the web server, the Celery workers, beat and the migrate step (see docker-compose.yml).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # platform/ is a source root (no __init__.py): on the path, never imported as a package.
    PYTHONPATH=/app:/app/platform \
    DJANGO_SETTINGS_MODULE=config.settings \
    TRAMONTANE_DATA_DIR=/data \
    TRAMONTANE_STATIC_ROOT=/app/staticfiles

WORKDIR /app
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin tramontane \
    && mkdir -p /data && chown tramontane /data

# Dependencies first (cached while only the source changes); `packages = []`: this installs dependencies only.
COPY pyproject.toml README.md ./
RUN pip install .

COPY . .
# Static files are baked into the image and served by WhiteNoise; throwaway keys, only for this build step.
RUN SECRET_KEY=build-only AUDIT_SIGNING_KEY_FILE=/dev/null TRAMONTANE_DATA_DIR=/tmp/build \
        python manage.py collectstatic --noinput --verbosity 0 \
    && rm -rf /tmp/build

USER tramontane
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4", \
     "--no-control-socket", "--access-logfile", "-", "--error-logfile", "-"]
