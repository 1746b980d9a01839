# The portal as a container image: Python packages from uv.lock, the NHS.UK frontend built
# from package-lock.json, static files collected and hashed, run by gunicorn as a non-root
# user who cannot write its own code. Configuration comes from the environment at run time
# (see .env.example); production settings unless DJANGO_SETTINGS_MODULE says otherwise
# (compose.yaml's one-machine stack: citizen_portal.settings.stack).

FROM node:20-bookworm-slim AS frontend
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY scripts/build-static.mjs scripts/
RUN mkdir -p static && node scripts/build-static.mjs

FROM python:3.11-slim-bookworm AS portal
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PATH=/app/.venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=citizen_portal.settings.production \
    DATA_DIR=/data \
    STATIC_ROOT=/app/staticfiles \
    GUNICORN_WORKERS=3 \
    GUNICORN_ACCESS_LOG=-
WORKDIR /app
RUN pip install --no-cache-dir "uv>=0.5,<1" \
    && groupadd --system portal \
    && useradd --system --gid portal --home-dir /app --shell /usr/sbin/nologin portal \
    && mkdir -p /data && chown portal:portal /data
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project --python python3
# The code, its packages and the collected static files stay root's: the portal user can read
# them and write nothing but /data, so a flaw that lets it write files cannot change the code.
COPY . .
COPY --from=frontend /build/static/vendor static/vendor
# collectstatic needs settings to import, not real secrets: these values exist only here.
RUN SECRET_KEY=build-only ALLOWED_HOSTS=build DATABASE_URL=postgres://build@build/build \
    PORTAL_BASE_URL=https://build NHS_LOGIN_ISSUER=https://build NHS_LOGIN_CLIENT_ID=build \
    NHS_LOGIN_PRIVATE_KEY_PATH=/nonexistent LINKAGE_ENCRYPTION_KEYS=build \
    REDIS_URL=redis://build:6379/0 python manage.py collectstatic --no-input --verbosity 0
USER portal
EXPOSE 8000
# Workers, threads, timeouts and the access log (no query strings): gunicorn.conf.py.
CMD ["gunicorn", "citizen_portal.wsgi"]
