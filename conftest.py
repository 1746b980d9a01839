"""Fixtures shared by every app's tests.

Browser fixtures drive Debian's Chromium through Playwright (it cannot download its own
browsers here) and check each page with axe-core from the ``axe-core`` npm package.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from accounts.models import Patient
from accounts.nhs_login_client import provider_metadata_forget, provider_metadata_memory_forget
from accounts.session_user import session_patient_store
from accounts.sign_in_flow import vtr_sets_sent
from accounts.tests.factories import PatientFactory, UserFactory
from core.outbound import outbound_connections_close
from core.rsa_keys import private_key_generate, private_key_write
from demo.practice import DEMO_ODS_CODE, demo_practice_seed
from linkage.api_clients.registration import api_client_register
from linkage.models import API_SCOPES, Practice, PracticeStaff
from linkage.practice_staff import practice_staff_provisioning_grant
from linkage.tests.factories import PracticeFactory
from nhs_login_simulator.gp_systems import gp_system_tokens_forget
from nhs_login_simulator.keys import signing_keys as simulator_signing_keys
from provisioning.client import provisioning_tokens_forget
from tests.support import (
    OTHER_PRACTICE,
    PROVISIONING_CLIENT_ID,
    THIS_PRACTICE,
    NhsLoginLive,
    axe_violations,
    browser_page,
    key_permissions_granted,
    staff_signed_in,
)

# Every run logs at DEBUG and fails if a secret reaches any log record (docs/security.md); the
# transactional tests' database is emptied by DELETE (tests/database_emptying.py).
pytest_plugins = ["tests.security.secrets_in_logs", "tests.database_emptying"]


# Flags that keep Chromium off the network it cannot reach here and out of a sandbox that
# needs privileges CI does not give.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session", autouse=True)
def _simulator_keys_in_a_temporary_directory(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The simulator makes its signing keys on first use: here, never in the developer's data
    directory."""
    settings.NHS_LOGIN_SIMULATOR_KEY_DIR = tmp_path_factory.mktemp("nhs-login-simulator")


@pytest.fixture(autouse=True)
def _nhs_login_metadata_read_from_the_cache() -> None:
    """Each test reads NHS login's discovery document and keys from the cache it set up, not
    from the copy an earlier test left in this process (accounts/nhs_login_client.py)."""
    provider_metadata_memory_forget()


@pytest.fixture(autouse=True)
def _connections_to_the_live_server_closed_after_each_test() -> Iterator[None]:
    """Code run in the test thread (a management command, a client call, a scripted browser)
    keeps its connections to the live server alive; close them, so the server's handler threads
    do not keep their database connections open (PostgreSQL then cannot drop the test
    database at the end of the run)."""
    # Imported here: the scripted browser imports the secrets plugin, which pytest must load
    # (and rewrite) first.
    from tests.portal_browser import portal_browsers_close

    yield
    outbound_connections_close()
    portal_browsers_close()


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Playwright]:
    # Playwright's sync API runs an event loop in this thread; the test thread's own database
    # work (fixtures, assertions) is still synchronous, so Django's guard does not apply.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    browser = playwright_session.chromium.launch(
        executable_path=settings.CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    yield from browser_page(browser, viewport={"width": 1024, "height": 768})


@pytest.fixture
def no_js_page(browser: Browser) -> Iterator[Page]:
    yield from browser_page(browser, java_script_enabled=False)


@pytest.fixture
def narrow_page(browser: Browser) -> Iterator[Page]:
    """A phone-sized window: WCAG 1.4.10 reflow asks for no sideways scrolling at 320 px."""
    yield from browser_page(browser, viewport={"width": 320, "height": 640})


@pytest.fixture
def check_accessibility() -> Callable[..., None]:
    def check(page: Page, *, read_stylesheets: bool = True) -> None:
        violations = axe_violations(page, read_stylesheets=read_stylesheets)
        assert violations == [], f"axe-core found violations on {page.url}: {violations}"

    return check


@pytest.fixture(scope="session")
def client_private_keys() -> dict[str, RSAPrivateKey]:
    """The portal's keys as NHS login's client, one per role, made once for the run: each test
    registers its client again with the key (its database is emptied after it), so a new key
    per test bought nothing but the time to make one."""
    return {"nhs-login": private_key_generate(), "provisioning": private_key_generate()}


@pytest.fixture
def nhs_login_live(
    live_server: LiveServer,
    settings: SettingsWrapper,
    tmp_path: Path,
    client_private_keys: dict[str, RSAPrivateKey],
) -> NhsLoginLive:
    issuer = f"{live_server.url}/nhs-login-simulator"
    key_path = tmp_path / "nhs-login-client.pem"
    private_key_write(key_path, client_private_keys["nhs-login"])
    settings.PORTAL_BASE_URL = live_server.url
    settings.NHS_LOGIN_ISSUER = issuer
    settings.NHS_LOGIN_SIMULATOR_ISSUER = issuer
    settings.NHS_LOGIN_CLIENT_ID = "citizen-portal-under-test"
    settings.NHS_LOGIN_PRIVATE_KEY_PATH = str(key_path)
    # The settings link follows the issuer, as local settings make it follow the simulator's.
    settings.NHS_LOGIN_SETTINGS_URL = f"{issuer}/settings"
    # Discovery and JWKS are cached per issuer; the live server's address is reused between
    # tests, so forget what an earlier test cached.
    provider_metadata_forget()
    # Registered as NHS login registers a partner: its scopes and every vtr set it sends.
    call_command(
        "nhs_login_simulator_client_register",
        client_id="citizen-portal-under-test",
        name="Citizen portal",
        redirect_uris=[f"{live_server.url}/auth/nhs-login/callback/"],
        public_key=key_path,
        im1=True,
        scopes=settings.NHS_LOGIN_SCOPES,
        vtr_sets=vtr_sets_sent(),
        stdout=io.StringIO(),
    )
    # The simulator makes its signing keys on first use: make them now, or the first token
    # request of a test with a short timeout would wait for two RSA keys to be generated.
    simulator_signing_keys()
    # The demo practice of `make run`, whose register matches the simulator's users.
    demo_practice_seed()
    _simulator_registered_as_linkage_client(settings, live_server.url)
    return NhsLoginLive(live_server.url, issuer, "citizen-portal-under-test", key_path)


def _simulator_registered_as_linkage_client(settings: SettingsWrapper, portal_url: str) -> None:
    """As `make run` does (local_setup): the simulator is a linkage API client of every
    practice, its public key printed by its own command, and the demo practice's GP system is
    the portal on the live server (docs/adr/0026). Tokens it kept in an earlier test were
    issued by that test's portal: forgotten."""
    printed = io.StringIO()
    call_command("nhs_login_simulator_linkage_key", stdout=printed)
    api_client_register(
        name="NHS login simulator",
        client_id=settings.NHS_LOGIN_SIMULATOR_LINKAGE_CLIENT_ID,
        public_key_pem=printed.getvalue(),
        jwks_url="",
        scopes=list(API_SCOPES),
        all_practices=True,
    )
    settings.NHS_LOGIN_SIMULATOR_GP_SYSTEMS = {DEMO_ODS_CODE: portal_url}
    gp_system_tokens_forget()


# --- NHS login account provisioning (docs/provisioning.md) -----------------------------------


@pytest.fixture
def provisioning_live(
    nhs_login_live: NhsLoginLive,
    settings: SettingsWrapper,
    tmp_path: Path,
    client_private_keys: dict[str, RSAPrivateKey],
) -> NhsLoginLive:
    key_path = tmp_path / "provisioning-client.pem"
    private_key_write(key_path, client_private_keys["provisioning"])
    settings.NHS_LOGIN_PROVISIONING_URL = f"{nhs_login_live.issuer}/provisioning"
    settings.NHS_LOGIN_PROVISIONING_TOKEN_URL = f"{nhs_login_live.issuer}/token"
    settings.NHS_LOGIN_PROVISIONING_CLIENT_ID = PROVISIONING_CLIENT_ID
    settings.NHS_LOGIN_PROVISIONING_PRIVATE_KEY_PATH = str(key_path)
    call_command(
        "nhs_login_simulator_provisioning_client_register",
        client_id=PROVISIONING_CLIENT_ID,
        public_key=key_path,
        ods_codes=[THIS_PRACTICE],
        stdout=io.StringIO(),
    )
    provisioning_tokens_forget()
    return nhs_login_live


@pytest.fixture
def provisioning_staff(provisioning_live: NhsLoginLive) -> Client:
    """A receptionist at the demo practice (seeded by nhs_login_live) who may provision."""
    user = UserFactory.create(username="reception-a12345", is_staff=True)
    PracticeStaff.objects.create(user=user, practice=Practice.objects.get(ods_code=THIS_PRACTICE))
    practice_staff_provisioning_grant(user)
    return staff_signed_in(user)


# --- Role fixtures: who is asking (docs/adr/0013) -------------------------------------------


@pytest.fixture
def this_practice(db: None) -> Practice:
    return PracticeFactory.create(ods_code=THIS_PRACTICE, name="Demo Surgery")


@pytest.fixture
def other_practice(db: None) -> Practice:
    return PracticeFactory.create(ods_code=OTHER_PRACTICE, name="Other Surgery")


def _patient_signed_in(patient: Patient) -> Client:
    """A session like the one NHS login sign-in leaves, patient copy included."""
    client = Client()
    client.force_login(patient.user, backend="accounts.backends.NhsLoginBackend")
    session = client.session
    session_patient_store(session, patient.user)
    session.save()
    return client


@pytest.fixture
def patient_client(this_practice: Practice) -> Client:
    """A P9 patient of this practice, signed in through NHS login."""
    return _patient_signed_in(
        PatientFactory.create(nhs_number="9990000018", gp_ods_code=THIS_PRACTICE)
    )


@pytest.fixture
def p5_patient_client(this_practice: Practice) -> Client:
    return _patient_signed_in(
        PatientFactory.create(p5=True, nhs_number="9990000034", gp_ods_code=THIS_PRACTICE)
    )


@pytest.fixture
def staff_client(this_practice: Practice) -> Client:
    """Reception staff of this practice, allowed to issue, reissue and revoke its keys."""
    user = UserFactory.create(username="reception-a12345", is_staff=True)
    PracticeStaff.objects.create(user=user, practice=this_practice)
    return staff_signed_in(key_permissions_granted(user))


@pytest.fixture
def other_practice_staff_client(other_practice: Practice) -> Client:
    """Staff of another practice, with the same permissions: must never reach this
    practice's data."""
    user = UserFactory.create(username="reception-b23456", is_staff=True)
    PracticeStaff.objects.create(user=user, practice=other_practice)
    return staff_signed_in(key_permissions_granted(user))


@pytest.fixture
def superuser_client(db: None) -> Client:
    return staff_signed_in(
        UserFactory.create(username="operator", is_staff=True, is_superuser=True)
    )
