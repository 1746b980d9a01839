"""gunicorn's settings for every app server. gunicorn reads this file from the directory it
starts in, so the container image, compose, `make bench` and the scale-out test all run the
portal alike. Each value can be changed from the environment (docs/operations.md).

Workers run threads (gthread): a request spends much of its time waiting on PostgreSQL,
Redis or NHS login, and another request can use the CPU meanwhile; threads also keep HTTP
connections alive, where gunicorn's sync workers close every one (docs/adr/0008).
"""

from __future__ import annotations

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE_SECONDS", "5"))
# A worker that stops answering for this long is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT_SECONDS", "30"))
graceful_timeout = 20
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# "-" for standard output (the container image sets it); off when unset, as in `make bench`.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
# The path without the query string: the NHS login callback carries a code and a state.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)s'
