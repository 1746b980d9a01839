# The portal as a container image: Python packages from uv.lock, the NHS.UK frontend built
# from package-lock.json, static files collected and hashed, run by gunicorn as a non-root
# user who cannot write its own code. Configuration comes from the environment at run time
# (see .env.example); production settings unless DJANGO_SETTINGS_MODULE says otherwise
# (compose.yaml's one-machine stack: citizen_portal.settings.stack).
#
# Three stages, so that what builds the image never runs in production: node and npm stay in
# the first, uv (and pip's work) in the second; the last has Python, the locked packages and
# the code, and no tool that fetches or builds software beyond what its base image brings.

FROM node:20-bookworm-slim AS frontend
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY scripts/build-static.mjs scripts/
RUN mkdir -p static && node scripts/build-static.mjs

FROM python:3.11-slim-bookworm AS python-packages
ENV UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy
WORKDIR /app
RUN pip install --no-cache-dir "uv>=0.5,<1"
COPY pyproject.toml uv.lock ./
# The virtual environment's interpreter is the base image's python3, the same path in the
# final stage, so the environment can be copied there as it is.
RUN uv sync --locked --no-dev --no-install-project --python python3

FROM python:3.11-slim-bookworm AS portal
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/app/.venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=citizen_portal.settings.production \
    DATA_DIR=/data \
    STATIC_ROOT=/app/staticfiles \
    GUNICORN_WORKERS=3 \
    GUNICORN_ACCESS_LOG=-
WORKDIR /app
# A fixed user and group id (10001), so that an orchestrator can check the user is not root
# (Kubernetes' runAsNonRoot needs a number) and give it a volume (fsGroup).
RUN groupadd --system --gid 10001 portal \
    && useradd --system --uid 10001 --gid portal --home-dir /app --shell /usr/sbin/nologin portal \
    && mkdir -p /data && chown portal:portal /data
# The code, its packages and the collected static files stay root's: the portal user can read
# them and write nothing but /data, so a flaw that lets it write files cannot change the code.
COPY --from=python-packages /app/.venv .venv
COPY . .
COPY --from=frontend /build/static/vendor static/vendor
# collectstatic needs settings to import, not real secrets: these values exist only here.
RUN SECRET_KEY=build-only ALLOWED_HOSTS=build DATABASE_URL=postgres://build@build/build \
    PORTAL_BASE_URL=https://build NHS_LOGIN_ISSUER=https://build NHS_LOGIN_CLIENT_ID=build \
    NHS_LOGIN_PRIVATE_KEY_PATH=/nonexistent LINKAGE_ENCRYPTION_KEYS=build \
    REDIS_URL=redis://build:6379/0 SERVICE_ORGANISATION_NAME=build \
    SERVICE_CONTACT_EMAIL=build@example.org python manage.py collectstatic --no-input --verbosity 0
USER portal
EXPOSE 8000
# Liveness, not readiness: a database outage must not mark every server unhealthy (signed-in
# patients are still served from their sessions); the load balancer asks /health/ready.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "scripts/container_healthcheck.py"]
# gunicorn is process 1 and so receives the engine's SIGTERM itself: it stops accepting,
# lets each worker finish its request (graceful_timeout, gunicorn.conf.py) and exits 0.
# Workers, threads, timeouts and the access log (no query strings): gunicorn.conf.py.
CMD ["gunicorn", "citizen_portal.wsgi"]
