#!/usr/bin/env python
"""Run the whole NHS login code flow against the simulator, as a relying party would.

Discovery, authorize with an S256 PKCE challenge (picking a test user, and sharing on the
consent screen when it is shown), token exchange with a real RS512 client assertion and the
PKCE verifier, ID token verification against the JWKS, userinfo, and a refresh. Prints what
each step proved, never a token. Exit status 0 means every step passed. The client must be
registered with the scopes and vtr it sends.

    .venv/bin/python scripts/simulator_code_flow.py \\
        --issuer http://127.0.0.1:8000/nhs-login-simulator \\
        --client-id citizen-portal-local --private-key data/nhs_login/private_key.pem \\
        --redirect-uri http://127.0.0.1:8000/auth/nhs-login/callback/
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import secrets
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import serialization

TIMEOUT = 10


class FlowError(Exception):
    pass


def step(message: str) -> None:
    print(f"ok  {message}")


def form_field(html: str, form_action: str, name: str) -> str:
    form = re.search(rf'<form action="{re.escape(form_action)}"[^>]*>(.*?)</form>', html, re.S)
    if form is None:
        raise FlowError(f"the sign-in page has no form posting to {form_action}")
    field = re.search(rf'name="{name}" value="([^"]*)"', form.group(1))
    if field is None:
        raise FlowError(f"the form has no {name} field")
    return field.group(1)


def client_assertion(client_id: str, private_key_pem: bytes, token_endpoint: str) -> str:
    private_key = serialization.load_pem_private_key(private_key_pem, password=None)
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": token_endpoint,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 60,
    }
    return jwt.encode(claims, private_key, algorithm="RS512")  # type: ignore[arg-type]


@dataclass(frozen=True)
class SignedIn:
    """What a relying party holds after the code flow: the token set, the verified ID token's
    claims and userinfo's."""

    token_set: dict[str, Any]
    id_token: dict[str, Any]
    claims: dict[str, Any]
    token_endpoint: str


def code_flow(arguments: argparse.Namespace) -> SignedIn:
    """Discovery, authorize with PKCE, the test user's sign-in (and consent), the token
    exchange, the ID token's checks and userinfo, each step printed as it passes. The
    arguments are this script's (``issuer``, ``client_id``, ``private_key``,
    ``redirect_uri``, ``user``, ``scope``, ``vtr``)."""
    browser = requests.Session()
    discovery = browser.get(
        f"{arguments.issuer}/.well-known/openid-configuration", timeout=TIMEOUT
    ).json()
    if discovery["issuer"] != arguments.issuer:
        raise FlowError("discovery names a different issuer")
    step("discovery document read; endpoints come from it")

    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    # RFC 7636, 4.1 and 4.2: a 64-character verifier, sent at the token endpoint only; its
    # SHA-256 goes in the authorization request.
    code_verifier = secrets.token_urlsafe(48)
    code_challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode("ascii")).digest())
        .rstrip(b"=")
        .decode("ascii")
    )
    vtr = json.loads(arguments.vtr)
    page = browser.get(
        discovery["authorization_endpoint"],
        params={
            "client_id": arguments.client_id,
            "redirect_uri": arguments.redirect_uri,
            "response_type": "code",
            "scope": arguments.scope,
            "state": state,
            "nonce": nonce,
            "vtr": arguments.vtr,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        },
        timeout=TIMEOUT,
    )
    page.raise_for_status()
    action = urlsplit(discovery["authorization_endpoint"]).path + "/test-user"
    step("authorize accepted the request and showed the sign-in page")

    answer = browser.post(
        urlsplit(discovery["authorization_endpoint"])._replace(path=action).geturl(),
        data={
            "csrfmiddlewaretoken": form_field(page.text, action, "csrfmiddlewaretoken"),
            "request": form_field(page.text, action, "request"),
            "user": arguments.user,
            "outcome": "success",
            "fault": "",
        },
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    consent_action = urlsplit(discovery["authorization_endpoint"]).path + "/consent/share"
    if answer.status_code == 200 and f'action="{consent_action}"' in answer.text:
        # NHS login asks the user to share their information on a first sign-in to a service,
        # at a new level of verification, or when the service asks for more.
        answer = browser.post(
            urlsplit(discovery["authorization_endpoint"])._replace(path=consent_action).geturl(),
            data={
                name: form_field(answer.text, consent_action, name)
                for name in ("csrfmiddlewaretoken", "request", "pending")
            },
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        step("the user agreed to share their information on the consent screen")
    if answer.status_code != 302:
        raise FlowError(f"signing in as {arguments.user} answered {answer.status_code}")
    location = answer.headers["Location"]
    query = parse_qs(urlsplit(location).query)
    if not location.startswith(arguments.redirect_uri) or query.get("state") != [state]:
        raise FlowError("the redirect did not come back to our redirect URI with our state")
    code = query["code"][0]
    step("signed in; the code came back to the redirect URI with the same state")

    private_key_pem = Path(arguments.private_key).read_bytes()
    token_endpoint = discovery["token_endpoint"]
    tokens = requests.post(
        token_endpoint,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": code_verifier,
            "redirect_uri": arguments.redirect_uri,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": client_assertion(
                arguments.client_id, private_key_pem, token_endpoint
            ),
        },
        timeout=TIMEOUT,
    )
    if tokens.status_code != 200:
        raise FlowError(f"token endpoint answered {tokens.status_code}: {tokens.text}")
    if tokens.headers.get("Cache-Control") != "no-store":
        raise FlowError("token response is cacheable")
    token_set = tokens.json()
    step("code exchanged with an RS512 client assertion and the PKCE verifier")

    jwks = jwt.PyJWKSet.from_dict(requests.get(discovery["jwks_uri"], timeout=TIMEOUT).json())
    kid = jwt.get_unverified_header(token_set["id_token"])["kid"]
    signing_key = next(key for key in jwks.keys if key.key_id == kid)
    id_token = jwt.decode(
        token_set["id_token"],
        signing_key.key,
        algorithms=["RS512"],
        audience=arguments.client_id,
        issuer=arguments.issuer,
        leeway=30,
    )
    if id_token["nonce"] != nonce or id_token["vot"] not in vtr:
        raise FlowError("the ID token's nonce or vot does not match the request")
    step(f"ID token verified against the JWKS (kid {kid}); vot {id_token['vot']}")

    claims = requests.get(
        discovery["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {token_set['access_token']}"},
        timeout=TIMEOUT,
    ).json()
    if claims["sub"] != id_token["sub"]:
        raise FlowError("userinfo sub differs from the ID token's")
    step(f"userinfo returned {', '.join(sorted(claims))}")
    return SignedIn(token_set, id_token, claims, token_endpoint)


def run(arguments: argparse.Namespace) -> dict[str, object]:
    signed_in = code_flow(arguments)
    token_set, token_endpoint = signed_in.token_set, signed_in.token_endpoint
    private_key_pem = Path(arguments.private_key).read_bytes()
    refreshed = requests.post(
        token_endpoint,
        data={
            "grant_type": "refresh_token",
            "refresh_token": token_set["refresh_token"],
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": client_assertion(
                arguments.client_id, private_key_pem, token_endpoint
            ),
        },
        timeout=TIMEOUT,
    )
    if refreshed.status_code != 200 or "access_token" not in refreshed.json():
        raise FlowError(f"refresh answered {refreshed.status_code}")
    step("refresh token exchanged for a new access token")
    return {"vot": signed_in.id_token["vot"], "userinfo_claims": sorted(signed_in.claims)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issuer", default="http://127.0.0.1:8000/nhs-login-simulator")
    parser.add_argument("--client-id", default="citizen-portal-local")
    parser.add_argument("--private-key", default="data/nhs_login/private_key.pem")
    parser.add_argument("--redirect-uri", default="http://127.0.0.1:8000/auth/nhs-login/callback/")
    parser.add_argument("--user", default="p9-demo-practice")
    parser.add_argument("--scope", default="openid profile email phone gp_registration_details")
    parser.add_argument("--vtr", default='["P9.Cp.Cd","P9.Cp.Ck","P9.Cm"]')
    try:
        outcome = run(parser.parse_args())
    except (FlowError, requests.RequestException, jwt.PyJWTError, KeyError) as error:
        print(f"FAILED  {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(json.dumps(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main())
