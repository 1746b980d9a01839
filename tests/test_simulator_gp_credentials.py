"""NHS login's side of GP credentials, over real HTTP (docs/adr/0026): an IM1-enabled relying
party signs a user in through the simulator and asks userinfo for ``gp_integration_credentials``;
the simulator asks the linkage API of the GP system holding the user's practice, which is the
portal on the same live server, as NHS login asks a GP system, and retrieves the user's linkage
information or creates it. When the GP system refuses or fails, the claim is left out and
userinfo answers as ever."""

from __future__ import annotations

import json
import logging
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache
from django.http import HttpResponse
from pytest_django.fixtures import Settings as SettingsWrapper

import linkage.api
import linkage.api_auth
from core.client_assertion import JWT_BEARER, client_assertion_issuer
from core.client_assertion_signing import client_assertion_sign
from core.rsa_keys import private_key_generate, public_key_pem
from linkage.api_auth import token_cache_key
from linkage.audit import Actor, ActorType, AuditAction
from linkage.keys import LinkageInformation
from linkage.models import ApiClient, AuditEvent, LinkageKey, LinkageKeyStatus
from linkage.services import linkage_key_retrieve, linkage_key_revoke
from nhs_login_simulator import gp_systems
from nhs_login_simulator.clients import ClientKey, client_register
from nhs_login_simulator.models import Client
from tests.portal_browser import PortalBrowser
from tests.security.secrets_in_logs import secret_register
from tests.support import THIS_PRACTICE, NhsLoginLive

pytestmark = pytest.mark.django_db(transaction=True)

IM1_APP_ID = "im1-app"
REDIRECT_URI = "https://im1-app.example.org/callback"
SCOPES = "openid profile gp_registration_details gp_integration_credentials"
P9_VTR = ["P9.Cp.Cd", "P9.Cp.Ck", "P9.Cm"]
P5_OR_P9_VTR = ["P5.Cp.Cd", "P5.Cp.Ck", "P5.Cm", *P9_VTR]
GP_DEADLINE_SECONDS = 1.0
SLOW_GP_SYSTEM_SECONDS = 4.0
SYSTEM = Actor(ActorType.SYSTEM, "test")


@dataclass
class Im1App:
    """An IM1-enabled relying party registered with the simulator, signing users in over HTTP
    with a browser of its own each time, and calling the token and userinfo endpoints."""

    live: NhsLoginLive
    client: Client
    private_key: rsa.RSAPrivateKey = field(repr=False)

    def userinfo(
        self, *, user: str = "p9-demo-practice", fault: str = "", vtr: list[str] | None = None
    ) -> requests.Response:
        browser = PortalBrowser(self.live.base_url)
        query = urlencode(
            {
                "client_id": IM1_APP_ID,
                "redirect_uri": REDIRECT_URI,
                "response_type": "code",
                "scope": SCOPES,
                "state": uuid.uuid4().hex,
                "nonce": uuid.uuid4().hex,
                "vtr": json.dumps(vtr or P9_VTR),
            }
        )
        sign_in_page = browser.get(f"{self.live.issuer}/authorize?{query}")
        assert sign_in_page.status_code == 200, sign_in_page.text
        callback = browser.answer_simulator(sign_in_page, user=user, fault=fault)
        assert callback.status_code == 302, callback.text
        code = parse_qs(urlsplit(callback.headers["Location"]).query)["code"][0]
        token_url = f"{self.live.issuer}/token"
        tokens = browser.session.post(
            token_url,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "client_assertion_type": JWT_BEARER,
                "client_assertion": client_assertion_sign(
                    private_key=self.private_key, client_id=IM1_APP_ID, audience=token_url
                ),
            },
            timeout=30,
        )
        assert tokens.status_code == 200, tokens.text
        access_token = tokens.json()["access_token"]
        secret_register(access_token)
        return browser.session.get(
            f"{self.live.issuer}/userinfo",
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=30,
        )


@pytest.fixture
def im1_app(nhs_login_live: NhsLoginLive, settings: SettingsWrapper) -> Im1App:
    settings.NHS_LOGIN_SIMULATOR_GP_SYSTEM_TIMEOUT_SECONDS = GP_DEADLINE_SECONDS
    private_key = private_key_generate()
    client, _ = client_register(
        client_id=IM1_APP_ID,
        name="An IM1 app",
        redirect_uris=[REDIRECT_URI],
        key=ClientKey(public_key_pem(private_key.public_key()), ""),
        im1_enabled=True,
        scopes=SCOPES.split(),
        vtr_sets=[json.dumps(P9_VTR), json.dumps(P5_OR_P9_VTR)],
        sso_with=[],
    )
    return Im1App(nhs_login_live, client, private_key)


@pytest.fixture
def token_requests(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The portal's token endpoint, counted: the client of each token it issues."""
    issued: list[str] = []
    issue = linkage.api_auth.api_token_issue

    def counted(form: Any) -> dict[str, Any]:
        answer = issue(form)
        secret_register(answer["access_token"])
        issued.append(client_assertion_issuer(form["client_assertion"]))
        return answer

    monkeypatch.setattr(linkage.api, "api_token_issue", counted)
    return issued


def simulator_events() -> list[tuple[str, str]]:
    """The audit trail of the simulator's calls, oldest first: (action, outcome)."""
    return [
        (event.action, event.outcome)
        for event in AuditEvent.objects.filter(
            actor_type=ActorType.API_CLIENT, actor="nhs-login-simulator"
        ).order_by("occurred_at", "pk")
    ]


def register_says(nhs_number: str) -> LinkageInformation:
    return linkage_key_retrieve(actor=SYSTEM, nhs_number=nhs_number, ods_code=THIS_PRACTICE)


def claim_of(information: LinkageInformation) -> dict[str, str]:
    return {
        "gp_user_id": information.account_id,
        "gp_linkage_key": information.linkage_key,
        "gp_ods_code": information.ods_code,
    }


def test_the_claim_is_the_users_linkage_information_retrieved_from_the_register(
    im1_app: Im1App,
) -> None:
    response = im1_app.userinfo(user="p9-demo-practice")

    assert response.status_code == 200
    claims = response.json()
    assert claims["gp_integration_credentials"] == claim_of(register_says("9990000018"))
    assert set(claims["gp_integration_credentials"]) == {
        "gp_user_id",
        "gp_linkage_key",
        "gp_ods_code",
    }
    assert simulator_events() == [(AuditAction.RETRIEVE, "SUCCESS")]


def test_linkage_information_is_created_for_a_user_who_has_none(im1_app: Im1App) -> None:
    assert not LinkageKey.objects.filter(patient__nhs_number="9990000077").exists()

    claims = im1_app.userinfo(user="p9-passkey").json()

    created = LinkageKey.objects.get(patient__nhs_number="9990000077")
    assert created.status == LinkageKeyStatus.ACTIVE
    assert created.created_by == "api_client:nhs-login-simulator"
    assert claims["gp_integration_credentials"] == claim_of(register_says("9990000077"))
    assert simulator_events() == [
        (AuditAction.RETRIEVE, "LINKAGE_KEY_NOT_FOUND"),
        (AuditAction.CREATE, "SUCCESS"),
    ]


def test_a_revoked_key_is_replaced_by_a_new_one_under_the_same_account_id(
    im1_app: Im1App,
) -> None:
    revoked = LinkageKey.objects.get(patient__nhs_number="9990000018")
    linkage_key_revoke(actor=SYSTEM, linkage_key=revoked, reason="Reported lost")

    credentials = im1_app.userinfo(user="p9-demo-practice").json()["gp_integration_credentials"]

    assert credentials == claim_of(register_says("9990000018"))
    assert credentials["gp_user_id"] == revoked.account_id
    assert credentials["gp_linkage_key"] != "Xw7kQ2mR9tLpZ"
    assert simulator_events() == [
        (AuditAction.RETRIEVE, "LINKAGE_KEY_REVOKED"),
        (AuditAction.CREATE, "SUCCESS"),
    ]


def test_the_same_key_comes_back_at_the_next_sign_in(im1_app: Im1App) -> None:
    first = im1_app.userinfo(user="p9-passkey").json()["gp_integration_credentials"]

    second = im1_app.userinfo(user="p9-passkey").json()["gp_integration_credentials"]

    assert second == first
    assert LinkageKey.objects.filter(patient__nhs_number="9990000077").count() == 1


def test_a_p5_user_gets_no_claim_and_the_gp_system_is_not_asked(
    im1_app: Im1App, token_requests: list[str]
) -> None:
    claims = im1_app.userinfo(user="p5-demo-practice", vtr=P5_OR_P9_VTR).json()

    assert claims["identity_proofing_level"] == "P5"
    assert "gp_integration_credentials" not in claims
    assert token_requests == []
    assert simulator_events() == []


def test_a_client_not_im1_enabled_gets_no_claim_and_the_gp_system_is_not_asked(
    im1_app: Im1App, token_requests: list[str]
) -> None:
    im1_app.client.im1_enabled = False
    im1_app.client.save()

    claims = im1_app.userinfo(user="p9-demo-practice").json()

    assert "gp_integration_credentials" not in claims
    assert claims["gp_registration_details"] == {"gp_ods_code": THIS_PRACTICE}
    assert token_requests == []
    assert simulator_events() == []


@pytest.mark.parametrize(
    ("user", "outcomes"),
    [
        pytest.param("p9-not-registered", [("retrieve", "PATIENT_NOT_FOUND")], id="not-found"),
        pytest.param("p9-deceased", [("retrieve", "PATIENT_NOT_ELIGIBLE")], id="not-eligible"),
        pytest.param(
            "p9-under-16",
            [("retrieve", "LINKAGE_KEY_NOT_FOUND"), ("create", "UNDER_MINIMUM_AGE")],
            id="under-16",
        ),
    ],
)
def test_a_refusal_by_the_gp_system_leaves_the_claim_out(
    im1_app: Im1App, user: str, outcomes: list[tuple[str, str]]
) -> None:
    response = im1_app.userinfo(user=user)

    assert response.status_code == 200
    assert "gp_integration_credentials" not in response.json()
    assert response.json()["gp_registration_details"] == {"gp_ods_code": THIS_PRACTICE}
    assert simulator_events() == outcomes


def test_the_gp_system_refusing_the_simulators_client_leaves_the_claim_out(
    im1_app: Im1App,
) -> None:
    ApiClient.objects.filter(client_id="nhs-login-simulator").update(enabled=False)

    response = im1_app.userinfo(user="p9-demo-practice")

    assert response.status_code == 200
    assert "gp_integration_credentials" not in response.json()
    assert simulator_events() == []


def test_a_practice_not_in_the_directory_gets_no_claim(
    im1_app: Im1App, token_requests: list[str], settings: SettingsWrapper
) -> None:
    other_practice = im1_app.userinfo(user="p9-other-practice").json()
    settings.NHS_LOGIN_SIMULATOR_GP_SYSTEMS = {}
    no_directory = im1_app.userinfo(user="p9-demo-practice").json()

    assert other_practice["gp_registration_details"] == {"gp_ods_code": "X99999"}
    assert "gp_integration_credentials" not in other_practice
    assert "gp_integration_credentials" not in no_directory
    assert token_requests == []


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _unreachable(settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.NHS_LOGIN_SIMULATOR_GP_SYSTEMS = {THIS_PRACTICE: f"http://127.0.0.1:{_closed_port()}"}


def _server_error(settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**kwargs: Any) -> LinkageInformation:
        raise RuntimeError("the GP system broke (injected by the test)")

    monkeypatch.setattr(linkage.api, "linkage_key_retrieve", broken)


def _slow(settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(**kwargs: Any) -> LinkageInformation:
        time.sleep(SLOW_GP_SYSTEM_SECONDS)
        raise RuntimeError("answered too late (injected by the test)")

    monkeypatch.setattr(linkage.api, "linkage_key_retrieve", slow)


def _not_json(settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch) -> None:
    def html_page(request: Any) -> HttpResponse:
        return HttpResponse("<html><body><h1>Service unavailable</h1></body></html>")

    monkeypatch.setattr(linkage.api, "_token_answer", lambda request, address: html_page(request))


@pytest.mark.parametrize(
    "break_gp_system",
    [
        pytest.param(_unreachable, id="unreachable"),
        pytest.param(_server_error, id="500"),
        pytest.param(_slow, id="slower-than-the-deadline"),
        pytest.param(_not_json, id="not-json"),
    ],
)
def test_a_gp_system_down_leaves_the_claim_out_and_userinfo_answers_at_once(
    im1_app: Im1App,
    settings: SettingsWrapper,
    monkeypatch: pytest.MonkeyPatch,
    break_gp_system: Callable[[SettingsWrapper, pytest.MonkeyPatch], None],
) -> None:
    break_gp_system(settings, monkeypatch)

    started = time.monotonic()
    response = im1_app.userinfo(user="p9-demo-practice")
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    claims = response.json()
    assert "gp_integration_credentials" not in claims
    assert claims["nhs_number"] == "9990000018"
    # Given up at the simulator's deadline, not waited out: the whole sign-in took less than
    # the slow GP system's answer alone.
    assert elapsed < SLOW_GP_SYSTEM_SECONDS - 1


def test_the_gp_system_unavailable_fault_leaves_the_claim_out_without_asking(
    im1_app: Im1App, token_requests: list[str]
) -> None:
    claims = im1_app.userinfo(user="p9-demo-practice", fault="gp_system_unavailable").json()

    assert "gp_integration_credentials" not in claims
    assert claims["nhs_number"] == "9990000018"
    assert token_requests == []
    assert simulator_events() == []


def test_the_bearer_token_is_reused_while_it_lives(
    im1_app: Im1App, token_requests: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    im1_app.userinfo(user="p9-demo-practice")
    im1_app.userinfo(user="p9-passkey")
    assert token_requests == ["nhs-login-simulator"]

    # Past its five minutes, less the margin kept for the way: a new one.
    later = time.monotonic() + 300 - gp_systems.TOKEN_EXPIRY_MARGIN_SECONDS + 1
    monkeypatch.setattr(gp_systems, "_now", lambda: later)
    claims = im1_app.userinfo(user="p9-demo-practice").json()

    assert len(token_requests) == 2
    assert claims["gp_integration_credentials"] == claim_of(register_says("9990000018"))


def test_a_token_the_gp_system_no_longer_accepts_is_replaced_once(
    im1_app: Im1App, token_requests: list[str]
) -> None:
    im1_app.userinfo(user="p9-demo-practice")
    for kept in gp_systems._tokens.values():  # the portal forgets it, as after a restart
        cache.delete(token_cache_key(kept.access_token))

    claims = im1_app.userinfo(user="p9-demo-practice").json()

    assert claims["gp_integration_credentials"] == claim_of(register_says("9990000018"))
    assert len(token_requests) == 2
    assert simulator_events() == [("retrieve", "SUCCESS"), ("retrieve", "SUCCESS")]


@pytest.fixture
def simulator_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record at DEBUG, dropped at the end: a server error's record holds its request,
    and with it a live server connection that would keep its database session open."""
    with caplog.at_level(logging.DEBUG):
        yield caplog
    caplog.clear()


def test_no_key_token_assertion_or_nhs_number_reaches_the_log(
    im1_app: Im1App,
    simulator_log: pytest.LogCaptureFixture,
    settings: SettingsWrapper,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    retrieved = im1_app.userinfo(user="p9-demo-practice").json()["gp_integration_credentials"]
    created = im1_app.userinfo(user="p9-passkey").json()["gp_integration_credentials"]
    im1_app.userinfo(user="p9-deceased")
    _server_error(settings, monkeypatch)
    gp_systems.gp_system_tokens_forget()
    im1_app.userinfo(user="p9-demo-practice")

    lines = [record.getMessage() for record in simulator_log.records]
    simulator_lines = [
        record.getMessage()
        for record in simulator_log.records
        if record.name == "nhs_login_simulator.gp_credentials"
    ]
    assert simulator_lines == [
        "GP credentials retrieved at the GP system of practice A12345",
        "GP credentials created at the GP system of practice A12345",
        "GP credentials left out: the GP system of practice A12345 refused "
        "(HTTP 403, PATIENT_NOT_ELIGIBLE)",
        "GP credentials left out: the GP system of practice A12345 is unavailable "
        "(OutboundUnavailableError)",
    ]
    secrets = [
        retrieved["gp_linkage_key"],
        created["gp_linkage_key"],
        *(kept.access_token for kept in gp_systems._tokens.values()),
        "9990000018",
        "9990000077",
        "eyJ",  # any JWT: the client assertions
    ]
    for line in lines:
        for secret in secrets:
            assert secret not in line
