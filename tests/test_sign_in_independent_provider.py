"""The sign-in journeys against an OpenID Provider nobody here wrote: panva's oidc-provider, an
OpenID Certified implementation installed from npm, configured like NHS login
(tests/independent_provider/provider.mjs; docs/adr/0009-independent-openid-provider-in-tests.md).

The portal is pointed at it by settings alone, as it would be at NHS login's sandpit. The
provider registers the portal's public key as NHS login does, a PEM with no key id: the set-up
under which the portal once failed with ``invalid_client`` because its client assertion named a
``kid``. Everything between the two is HTTP.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from accounts.models import Patient
from accounts.nhs_login_client import provider_metadata_forget
from accounts.sign_in_flow import vtr_sets_sent
from core.client_assertion import JWT_BEARER
from core.rsa_keys import jwk_thumbprint, private_key_generate, private_key_write, public_key_pem
from demo.practice import demo_practice_seed
from tests.independent_provider.driver import ProviderBrowser
from tests.independent_provider.server import (
    ClientRegistration,
    IndependentProvider,
    independent_provider_running,
    node_path,
)
from tests.security.secrets_in_logs import secret_register

pytestmark = pytest.mark.django_db(transaction=True)

Check = Callable[[Page], None]
PORTAL_CLIENT_ID = "citizen-portal-at-an-independent-provider"
# A second client, registered the same way, that the tests drive by hand.
CHECKER_CLIENT_ID = "conformance-checker"
CHECKER_REDIRECT_URI = "http://127.0.0.1:9/checker/callback"
P9_VTR = ("P9.Cp.Cd", "P9.Cp.Ck", "P9.Cm")
P9_USER = "ava-thompson-p9"
P5_USER = "chloe-evans-p5"
NO_CONSENT = "You cannot continue without sharing your information"
# Federation specification 4.2, table 16: what NHS login's ID token carries with the profile scope.
ID_TOKEN_CLAIMS = {
    *("iss", "sub", "aud", "exp", "iat", "jti", "nonce", "vot", "vtm"),
    *("nhs_number", "birthdate", "family_name", "identity_proofing_level"),
}


@dataclass(frozen=True)
class ProviderSetUp:
    provider: IndependentProvider
    portal_key_path: Path
    checker_key: rsa.RSAPrivateKey


def _key_pair(directory: Path, name: str) -> tuple[rsa.RSAPrivateKey, Path, Path]:
    private_key = private_key_generate()
    private_path = directory / f"{name}.pem"
    private_key_write(private_path, private_key)
    public_path = directory / f"{name}.public.pem"
    public_path.write_text(public_key_pem(private_key.public_key()))
    return private_key, private_path, public_path


@pytest.fixture(scope="module")
def provider_set_up(
    live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProviderSetUp]:
    """The provider, started once for the module, with the portal and the checker registered
    as NHS login's onboarding registers a service: the public key as a PEM (no kid)."""
    node = node_path()
    if node is None:
        pytest.skip("Node.js is not installed: the independent OpenID Provider runs on it")
    directory = tmp_path_factory.mktemp("independent-provider")
    _, portal_key_path, portal_public_path = _key_pair(directory, "portal")
    checker_key, _, checker_public_path = _key_pair(directory, "checker")
    clients = [
        ClientRegistration(
            client_id=PORTAL_CLIENT_ID,
            client_name="Citizen portal",
            redirect_uris=(f"{live_server.url}/auth/nhs-login/callback/",),
            public_key_path=portal_public_path,
            scope=settings.NHS_LOGIN_SCOPES,
            vtr_sets=vtr_sets_sent(),
            # Stricter than NHS login documents: a sign-in here proves the portal's PKCE.
            pkce_required=True,
        ),
        ClientRegistration(
            client_id=CHECKER_CLIENT_ID,
            client_name="Conformance checker",
            redirect_uris=(CHECKER_REDIRECT_URI,),
            public_key_path=checker_public_path,
            scope="openid profile gp_registration_details",
            vtr_sets=(P9_VTR,),
        ),
    ]
    with independent_provider_running(node=node, clients=clients, directory=directory) as provider:
        yield ProviderSetUp(provider, portal_key_path, checker_key)


@pytest.fixture
def provider(provider_set_up: ProviderSetUp) -> IndependentProvider:
    provider_set_up.provider.reset()
    return provider_set_up.provider


@pytest.fixture
def portal(
    provider: IndependentProvider,
    provider_set_up: ProviderSetUp,
    live_server: LiveServer,
    settings: SettingsWrapper,
) -> str:
    """The portal pointed at the provider by its settings alone (docs/adr/0009)."""
    settings.PORTAL_BASE_URL = live_server.url
    settings.NHS_LOGIN_ISSUER = provider.issuer
    settings.NHS_LOGIN_CLIENT_ID = PORTAL_CLIENT_ID
    settings.NHS_LOGIN_PRIVATE_KEY_PATH = str(provider_set_up.portal_key_path)
    settings.NHS_LOGIN_KEY_ID = ""  # the provider holds a PEM: no key id
    settings.NHS_LOGIN_SETTINGS_URL = f"{provider.issuer}/settings"
    # oidc-provider's access tokens are opaque, good for its userinfo endpoint only.
    settings.NHS_LOGIN_ACCESS_TOKEN_SIGNED = False
    provider_metadata_forget()
    demo_practice_seed()
    return live_server.url


def _signed_in(browser: ProviderBrowser) -> bool:
    return browser.get("/home/").status_code == 200


# --- The journeys, over HTTP ------------------------------------------------------------------


def test_p9_patient_signs_in_and_the_assertion_carried_no_kid(
    portal: str, provider: IndependentProvider
) -> None:
    browser = ProviderBrowser(portal)

    page = browser.sign_in(P9_USER)

    assert page.url == f"{portal}/home/"
    assert "999 000 0018" in page.text
    assert "5 March 1985" in page.text
    patient = Patient.objects.get()
    assert patient.vot == "P9.Cp.Cd"
    assert patient.gp_ods_code == "A12345"
    # The header exactly as the Federation specification's table 15: a kid would have found
    # no key at this provider, as at NHS login.
    assert provider.assertion_headers(PORTAL_CLIENT_ID) == [{"alg": "RS512", "typ": "JWT"}]


def test_p5_patient_signs_in_at_p5_and_is_shown_no_nhs_number(portal: str) -> None:
    """The provider releases the NHS number at P5, as NHS login does with the profile scope;
    the portal must not show it (NHS login's "Scopes and claims", note 2)."""
    browser = ProviderBrowser(portal)

    page = browser.sign_in(P5_USER)

    assert page.url == f"{portal}/home/"
    assert "Medium (P5)" in page.text
    assert "999 000 0034" not in page.text
    assert "9990000034" not in page.text
    patient = Patient.objects.get()
    assert patient.vot == "P5.Cp.Cd"
    assert patient.identity_proofing_level == "P5"


def test_p5_patient_steps_up_to_p9_for_linkage_details(portal: str) -> None:
    browser = ProviderBrowser(portal)
    browser.sign_in(P5_USER)

    prove = browser.get("/home/linkage-details/")
    assert prove.headers["Location"] == "/auth/prove-who-you-are/?next=%2Fhome%2Flinkage-details%2F"
    identity_check = browser.press_nhs_login_button(prove.headers["Location"])
    # Signed in at the provider already: straight to the identity check, no sign-in page.
    consent = browser.answer_identity_check(identity_check, "continue")
    page = browser.answer_consent(consent, "share")  # a new level: consent again

    authorize = [url for url in browser.visited if "/authorize?" in url][-1]
    assert json.loads(parse_qs(urlsplit(authorize).query)["vtr"][0]) == list(P9_VTR)
    assert page.url == f"{portal}/home/linkage-details/"
    assert page.status_code == 200
    patient = Patient.objects.get()
    assert patient.identity_proofing_level == "P9"
    assert patient.vot == "P9.Cp.Cd"


def test_declining_consent_lands_on_the_no_consent_screen_signed_out(portal: str) -> None:
    browser = ProviderBrowser(portal)
    consent = browser.choose_user(browser.press_nhs_login_button(), P9_USER)

    page = browser.answer_consent(consent, "decline")

    # What NHS login sends back after a decline: access_denied and nothing more.
    query = browser.callback_query()
    assert query["error"] == ["access_denied"]
    assert "error_description" not in query
    assert page.url.startswith(f"{portal}/auth/nhs-login/callback/")
    assert NO_CONSENT in page.text
    assert not _signed_in(browser)
    assert not Patient.objects.exists()


# --- The provider is set up as strictly as NHS login --------------------------------------------


def test_provider_publishes_what_nhs_login_publishes(provider: IndependentProvider) -> None:
    discovery = provider.discovery()
    keys = requests.get(discovery["jwks_uri"], timeout=10).json()["keys"]

    assert discovery["issuer"] == provider.issuer
    assert discovery["response_types_supported"] == ["code"]
    assert discovery["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert discovery["token_endpoint_auth_signing_alg_values_supported"] == ["RS512"]
    assert discovery["id_token_signing_alg_values_supported"] == ["RS512"]
    assert [(key["kty"], key["alg"], bool(key["kid"])) for key in keys] == [("RSA", "RS512", True)]


def _assertion(key: rsa.RSAPrivateKey, token_endpoint: str, *, kid: str | None) -> str:
    now = int(time.time())
    claims = {
        "iss": CHECKER_CLIENT_ID,
        "sub": CHECKER_CLIENT_ID,
        "aud": token_endpoint,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 60,
    }
    headers = {"typ": "JWT", **({"kid": kid} if kid else {})}
    return jwt.encode(claims, key, algorithm="RS512", headers=headers)


def _token_request(token_endpoint: str, code: str, assertion: str) -> requests.Response:
    return requests.post(
        token_endpoint,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CHECKER_REDIRECT_URI,
            "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion,
        },
        timeout=10,
    )


def test_provider_refuses_an_assertion_whose_kid_names_no_registered_key(
    provider: IndependentProvider, provider_set_up: ProviderSetUp
) -> None:
    """The failure the portal once met: the key registered as a PEM has no kid, so an assertion
    naming the key's own RFC 7638 thumbprint finds no key and the client is refused. The same
    assertion without the kid gets as far as the (made-up) code."""
    token_endpoint = provider.discovery()["token_endpoint"]
    key = provider_set_up.checker_key
    thumbprint = jwk_thumbprint(key.public_key())

    with_kid = _token_request(
        token_endpoint, "no-such-code", _assertion(key, token_endpoint, kid=thumbprint)
    )
    without_kid = _token_request(
        token_endpoint, "no-such-code", _assertion(key, token_endpoint, kid=None)
    )

    assert (with_kid.status_code, with_kid.json()["error"]) == (401, "invalid_client")
    assert (without_kid.status_code, without_kid.json()["error"]) == (400, "invalid_grant")


def _authorize_url(provider: IndependentProvider, **overrides: str) -> str:
    params = {
        "response_type": "code",
        "client_id": CHECKER_CLIENT_ID,
        "redirect_uri": CHECKER_REDIRECT_URI,
        "scope": "openid profile gp_registration_details",
        "state": str(uuid.uuid4()),
        "nonce": str(uuid.uuid4()),
        "vtr": json.dumps(list(P9_VTR)),
        **overrides,
    }
    return f"{provider.issuer}/authorize?{urlencode(params)}"


def _redirect_query(response: requests.Response) -> dict[str, list[str]]:
    location = response.headers["Location"]
    assert location.startswith(CHECKER_REDIRECT_URI), location
    return parse_qs(urlsplit(location).query)


def test_provider_issues_tokens_shaped_like_nhs_logins(
    provider: IndependentProvider, provider_set_up: ProviderSetUp
) -> None:
    """Federation specification 4.1, 4.2 and 5.1.4: an RS512 ID token from a key in the JWKS,
    carrying vot (one of the vectors asked for), vtm on the issuer's origin and the profile
    claims; userinfo about the same sub."""
    browser = ProviderBrowser(provider.issuer)
    nonce = str(uuid.uuid4())
    sign_in_page = browser.follow(browser.get(_authorize_url(provider, nonce=nonce)))
    consent = browser.choose_user(sign_in_page, P9_USER)
    code = _redirect_query(browser.answer_consent(consent, "share", stop_at=CHECKER_REDIRECT_URI))[
        "code"
    ][0]
    discovery = provider.discovery()
    token_endpoint = discovery["token_endpoint"]

    tokens = _token_request(
        token_endpoint, code, _assertion(provider_set_up.checker_key, token_endpoint, kid=None)
    ).json()
    for token in (tokens["id_token"], tokens["access_token"]):
        secret_register(token)
    header = jwt.get_unverified_header(tokens["id_token"])
    signing_key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key(header["kid"])
    claims: dict[str, Any] = jwt.decode(
        tokens["id_token"],
        signing_key.key,
        algorithms=["RS512"],
        audience=CHECKER_CLIENT_ID,
        issuer=provider.issuer,
    )
    userinfo = requests.get(
        discovery["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    ).json()
    trustmark = requests.get(claims["vtm"], timeout=10).json()

    assert header == {"alg": "RS512", "typ": "JWT", "kid": signing_key.key_id}
    # Table 16's claims, and at_hash, which a relying party ignores.
    assert set(claims) - {"at_hash"} == ID_TOKEN_CLAIMS
    assert claims["nonce"] == nonce
    assert claims["vot"] == "P9.Cp.Cd"
    assert claims["vtm"] == f"{provider.issuer}/trustmark/127.0.0.1"
    assert trustmark["idp"] == provider.issuer
    assert {name: claims[name] for name in ("nhs_number", "birthdate", "family_name")} == {
        "nhs_number": "9990000018",
        "birthdate": "1985-03-05",
        "family_name": "Thompson",
    }
    assert claims["identity_proofing_level"] == "P9"
    assert claims["jti"]
    assert userinfo["sub"] == claims["sub"]
    assert userinfo["gp_registration_details"] == {"gp_ods_code": "A12345"}


def test_provider_refuses_a_vtr_not_registered_for_the_client(
    provider: IndependentProvider,
) -> None:
    browser = ProviderBrowser(provider.issuer)

    answer = browser.get(_authorize_url(provider, vtr=json.dumps(["P5.Cp.Cd"])))

    assert _redirect_query(answer)["error"] == ["invalid_request"]


@pytest.mark.parametrize(
    ("pkce", "description"),
    [
        pytest.param({}, "requires PKCE", id="no-challenge"),
        pytest.param(
            {"code_challenge": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"},
            "code_challenge_method must be provided",
            id="challenge-without-method-is-plain",
        ),
        pytest.param(
            {
                "code_challenge": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                "code_challenge_method": "plain",
            },
            "not supported value of code_challenge_method",
            id="plain",
        ),
    ],
)
def test_provider_refuses_the_portals_client_without_s256_pkce(
    provider: IndependentProvider, live_server: LiveServer, pkce: dict[str, str], description: str
) -> None:
    """The portal's client is registered with PKCE required, S256 only: the sign-ins above
    could not have worked had the portal's challenge been missing or plain, and their token
    requests were refused unless the verifier matched (oidc-provider's own check)."""
    callback = f"{live_server.url}/auth/nhs-login/callback/"
    browser = ProviderBrowser(provider.issuer)

    answer = browser.get(
        _authorize_url(provider, client_id=PORTAL_CLIENT_ID, redirect_uri=callback, **pkce)
    )

    location = answer.headers["Location"]
    assert location.startswith(callback), location
    query = parse_qs(urlsplit(location).query)
    assert query["error"] == ["invalid_request"]
    assert description in query["error_description"][0]


def test_provider_signs_in_again_with_prompt_login_and_not_without(
    provider: IndependentProvider,
) -> None:
    browser = ProviderBrowser(provider.issuer)
    sign_in_page = browser.follow(browser.get(_authorize_url(provider)))
    browser.answer_consent(
        browser.choose_user(sign_in_page, P9_USER), "share", stop_at=CHECKER_REDIRECT_URI
    )

    single_sign_on = browser.follow(
        browser.get(_authorize_url(provider)), stop_at=CHECKER_REDIRECT_URI
    )
    forced = browser.follow(browser.get(_authorize_url(provider, prompt="login")))

    assert "code" in _redirect_query(single_sign_on)
    assert "Sign in with a test user" in forced.text


# --- In Chromium, with axe on the portal's pages ----------------------------------------------


@pytest.mark.browser
def test_a_browser_signs_in_at_p5_and_steps_up_against_the_independent_provider(
    portal: str, page: Page, check_accessibility: Check
) -> None:
    """Chromium enforces each site's Content Security Policy, form-action included, along the
    redirects between the portal and a provider on another origin."""
    page.goto(portal)
    check_accessibility(page)
    page.get_by_role("button", name="Continue to NHS login").click()
    page.get_by_label("Chloe Evans, P5").check()
    page.get_by_role("button", name="Continue", exact=True).click()
    page.get_by_role("button", name="Share my information").click()

    expect(page).to_have_url(f"{portal}/home/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    expect(page.locator("main")).not_to_contain_text("999 000 0034")
    check_accessibility(page)

    page.goto(f"{portal}/home/linkage-details/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Prove who you are to continue")
    check_accessibility(page)
    page.get_by_role("button", name="Continue to NHS login").click()
    page.get_by_role("button", name="Continue", exact=True).click()
    page.get_by_role("button", name="Share my information").click()

    expect(page).to_have_url(f"{portal}/home/linkage-details/")
    expect(page.get_by_role("heading", level=1)).to_have_text("You do not have a linkage key yet")
    check_accessibility(page)


@pytest.mark.browser
def test_a_browser_that_declines_to_share_sees_the_no_consent_screen(
    portal: str, page: Page, check_accessibility: Check
) -> None:
    page.goto(portal)
    page.get_by_role("button", name="Continue to NHS login").click()
    page.get_by_label("Ava Thompson, P9").check()
    page.get_by_role("button", name="Continue", exact=True).click()
    page.get_by_role("button", name="Do not share").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(NO_CONSENT)
    check_accessibility(page)
