"""The demo practice (demo/practice.py) is seeded only where the settings allow it: a laptop, the
tests and the one-machine stack. Production settings do not install the demo app, so its
commands do not exist there, and refuse the seed should it be installed all the same: synthetic
patients and a published linkage key never reach a real register."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pytest_django.fixtures import Settings as SettingsWrapper

from demo.practice import DEMO_ODS_CODE, DEMO_PATIENTS, DemoSeedRefusedError, demo_practice_seed
from linkage.models import AuditEvent, LinkageKey, Practice
from tests.settings_process import PRODUCTION_ENV, settings_read

pytestmark = pytest.mark.django_db

PRINT_DEMO_SETTINGS = """
import json
import django
from django.conf import settings
from django.core.management import get_commands
django.setup()
print(json.dumps({
    "DEMO_SEED_ALLOWED": settings.DEMO_SEED_ALLOWED,
    "demo installed": "demo" in settings.INSTALLED_APPS,
    "commands": sorted({"demo_practice_seed", "local_setup"} & set(get_commands())),
}))
"""


def test_the_seed_is_refused_where_the_settings_do_not_allow_it(
    settings: SettingsWrapper,
) -> None:
    settings.DEMO_SEED_ALLOWED = False

    with pytest.raises(DemoSeedRefusedError):
        demo_practice_seed()
    with pytest.raises(CommandError, match="never seed it"):
        call_command("demo_practice_seed")

    assert not Practice.objects.exists()
    assert not LinkageKey.objects.exists()
    assert not AuditEvent.objects.exists()


def test_the_command_seeds_the_demo_practice_once(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("demo_practice_seed")
    call_command("demo_practice_seed")

    printed = capsys.readouterr().out
    assert f"with {len(DEMO_PATIENTS)} synthetic patients" in printed
    assert f"The demo practice {DEMO_ODS_CODE} is already there" in printed
    assert Practice.objects.get().patients.count() == len(DEMO_PATIENTS)


@pytest.mark.parametrize(
    ("module", "environment", "allowed"),
    [
        ("production", PRODUCTION_ENV, False),
        (
            "stack",
            {
                **PRODUCTION_ENV,
                "ALLOWED_HOSTS": "localhost",
                "PORTAL_BASE_URL": "http://localhost:8000",
            },
            True,
        ),
        ("local", {}, True),
        ("test", {}, True),
    ],
    ids=["production", "stack", "local", "test"],
)
def test_only_production_settings_refuse_the_seed(
    tmp_path: Path, module: str, environment: dict[str, str], allowed: bool
) -> None:
    loaded = settings_read(module, environment, tmp_path, script=PRINT_DEMO_SETTINGS)

    assert loaded == {
        "DEMO_SEED_ALLOWED": allowed,
        "demo installed": allowed,
        "commands": ["demo_practice_seed", "local_setup"] if allowed else [],
    }


PRINT_LOCAL_SETUP_ALLOWED = """
import json
from django.conf import settings
print(json.dumps({"LOCAL_SETUP_ALLOWED": settings.LOCAL_SETUP_ALLOWED}))
"""


@pytest.mark.parametrize(
    ("module", "environment", "allowed"),
    [
        ("production", PRODUCTION_ENV, False),
        (
            "stack",
            {
                **PRODUCTION_ENV,
                "ALLOWED_HOSTS": "localhost",
                "PORTAL_BASE_URL": "http://localhost:8000",
            },
            False,
        ),
        ("local", {}, True),
        ("local", {"DEBUG": "false"}, True),
        ("test", {}, False),
    ],
    ids=["production", "stack", "local", "local-debug-off", "test"],
)
def test_only_a_laptops_settings_run_local_setup_with_debug_on_or_off(
    tmp_path: Path, module: str, environment: dict[str, str], allowed: bool
) -> None:
    loaded = settings_read(module, environment, tmp_path, script=PRINT_LOCAL_SETUP_ALLOWED)

    assert loaded == {"LOCAL_SETUP_ALLOWED": allowed}
