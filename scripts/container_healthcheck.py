"""The container image's HEALTHCHECK: is this container's gunicorn answering ``/health/live``?

It asks as a load balancer would, under a host name the portal answers to: Django refuses any
other ``Host`` with 400 (ALLOWED_HOSTS), health checks included, and production's
``ALLOWED_HOSTS`` never names ``localhost``. Only the standard library, no Django: the check
runs every few seconds and must stay cheap. Exit status 0 when healthy, 1 otherwise (Docker's
HEALTHCHECK contract).
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 4


def health_host(allowed_hosts: str) -> str:
    """A name from ``ALLOWED_HOSTS`` (``.example.org`` allows ``example.org``; ``*`` any)."""
    for entry in allowed_hosts.split(","):
        host = entry.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def health_port(bind: str) -> str:
    """The port of gunicorn's ``GUNICORN_BIND`` (``0.0.0.0:8000``, gunicorn.conf.py)."""
    return bind.rsplit(":", 1)[-1] if ":" in bind else "8000"


def main() -> int:
    port = health_port(os.environ.get("GUNICORN_BIND", "0.0.0.0:8000"))
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/health/live",
        headers={"Host": health_host(os.environ.get("ALLOWED_HOSTS", ""))},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
            return 0 if answer.status == 200 else 1
    except (urllib.error.URLError, OSError) as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
