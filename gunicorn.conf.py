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
# On SIGTERM (a container engine's stop, Kubernetes ending a pod) gunicorn stops accepting,
# lets each worker finish the request it is serving for up to this long, and exits 0; the
# engine's own grace period (compose.yaml's stop_grace_period, the pod's
# terminationGracePeriodSeconds) is longer, so nothing in progress is killed.
graceful_timeout = 20
# No control socket (gunicornc): the container engine or orchestrator starts, scales and stops
# the servers, and a socket that can change the workers is one more thing to protect. In the
# image it could not be made anyway: the portal user cannot write its home, /app.
control_socket_disable = True
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# "-" for standard output (the container image sets it); off when unset, as in `make bench`.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
# The path without the query string: the NHS login callback carries a code and a state.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)s'

# gunicorn's own loggers write through the portal's redaction (core/log_redaction.py), as
# Django's do (settings LOGGING): its error log names a failed or killed request's URI, query
# string and all, and prints its traceback. gunicorn.error goes to standard error at
# `loglevel`; gunicorn.access, as before, nowhere unless `accesslog` names standard output ("-")
# or a file.
_REDACTED = {"()": "core.log_redaction.RedactingFormatter"}
_ACCESS_HANDLER = {"class": "logging.StreamHandler", "stream": "ext://sys.stdout"}
if accesslog and accesslog != "-":
    _ACCESS_HANDLER = {"class": "logging.FileHandler", "filename": accesslog}
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": loglevel.upper(), "handlers": ["error_console"]},
    "loggers": {
        "gunicorn.error": {
            "level": loglevel.upper(),
            "handlers": ["error_console"],
            "propagate": False,
        },
        "gunicorn.access": {
            "level": "INFO" if accesslog else "WARNING",
            "handlers": ["access"] if accesslog else [],
            "propagate": False,
        },
    },
    "handlers": {
        "access": {**_ACCESS_HANDLER, "formatter": "access"},
        "error_console": {
            "class": "logging.StreamHandler",
            "formatter": "error",
            "stream": "ext://sys.stderr",
        },
    },
    "formatters": {
        # gunicorn formats an access line itself (access_log_format).
        "access": {**_REDACTED, "fmt": "%(message)s"},
        "error": {
            **_REDACTED,
            "fmt": "%(asctime)s [%(process)d] [%(levelname)s] %(message)s",
            "datefmt": "[%Y-%m-%d %H:%M:%S %z]",
        },
    },
}
