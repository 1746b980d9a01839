"""gunicorn's settings for every app server. gunicorn reads this file from the directory it
starts in, so the container image, compose, `make bench` and the scale-out test all run the
portal alike. Each value can be changed from the environment (docs/operations.md).

Sync workers, one request at a time per process, by default: measured with `make bench`
on 2 cores, gunicorn's threaded worker (gthread) kept connections alive but its throughput
fell by half from 32 concurrent clients, where sync workers held steady (docs/adr/0008).
"""

from __future__ import annotations

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
# More than 1 turns a sync worker into gthread.
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# gthread only: sync workers close each connection after its response.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE_SECONDS", "5"))
# A worker that stops answering for this long is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT_SECONDS", "30"))
graceful_timeout = 20
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# "-" for standard output (the container image sets it); off when unset, as in `make bench`.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
# The path without the query string: the NHS login callback carries a code and a state.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)s'
