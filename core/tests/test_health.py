"""Health endpoints: /health/live says the process is up, /health/ready that it can serve."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings

from tests.database_down import run_with_the_database_down

REDIS_UNREACHABLE = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        # Port 1 on loopback: nothing listens, so the connection is refused at once.
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
    }
}
LOCAL_MEMORY = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def test_live_answers_ok_without_touching_the_database(client: Client) -> None:
    response = client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
@override_settings(CACHES=LOCAL_MEMORY)
def test_ready_is_ok_when_the_database_answers_and_redis_is_not_configured(client: Client) -> None:
    response = client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "not configured"},
    }


@pytest.mark.django_db
@override_settings(CACHES=REDIS_UNREACHABLE)
def test_ready_is_503_when_redis_is_configured_but_unreachable(client: Client) -> None:
    response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "redis": "unavailable"},
    }


@pytest.mark.django_db
@pytest.mark.skipif(not settings.REDIS_URL, reason="needs a Redis server: set REDIS_URL")
def test_ready_checks_redis_when_it_is_configured(client: Client) -> None:
    response = client.get("/health/ready")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


def test_ready_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    """A real server process on a database that refuses connections (nothing on port 1)."""
    script = (
        "import django, json\n"
        "django.setup()\n"
        "from django.test import Client\n"
        "r = Client().get('/health/ready')\n"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))\n"
    )
    outcome, log = run_with_the_database_down(script, tmp_path)

    assert outcome["status"] == 503
    assert outcome["body"] == {
        "status": "unavailable",
        "checks": {"database": "unavailable", "redis": "not configured"},
    }
    # Why it failed goes to the log for operators, never into the public response.
    assert "Readiness: database unreachable" in log


DATABASE_DOWN_SCRIPT = """
import django, json
django.setup()
from django.test import Client
client = Client(raise_request_exception=False)
client.cookies["sessionid"] = "a-session-that-needs-the-database"
results = {}
for path in ("/", "/health/live", "/home/"):
    response = client.get(path)
    results[path] = [response.status_code, response.content.decode()[:20000]]
print(json.dumps(results))
"""


def test_database_outage_gives_503_pages_not_500_and_public_pages_keep_working(
    tmp_path: Path,
) -> None:
    results, log = run_with_the_database_down(DATABASE_DOWN_SCRIPT, tmp_path)

    assert results["/"][0] == 200  # the start page needs no database
    assert results["/health/live"][0] == 200
    status, html = results["/home/"]
    assert status == 503
    assert "<h1>Sorry, the service is unavailable</h1>" in html
    assert "Traceback" not in html
    assert "Database unavailable: OperationalError" in log
