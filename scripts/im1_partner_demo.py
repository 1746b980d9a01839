#!/usr/bin/env python
"""Watch the whole loop between NHS login, the GP system and an IM1 app, against `make run`.

1. An IM1-enabled app signs the demo patient in at NHS login (the built-in simulator) at P9,
   asking for ``gp_integration_credentials``. The simulator gets the patient's linkage
   information from the portal's linkage API, as NHS login gets it from a GP system.
2. The app's supplier pairs with the patient's GP record by that information (the portal's IM1
   API, on its linkage API token) and reads the patient over the connection.
3. Practice staff reissue the patient's linkage key in the admin.
4. The old connection, and the old key, are refused; a new sign-in gives the new key, which
   pairs again.

Prints each step as it is proved, never a key, token or password. Exit status 0 means every
step passed. The defaults are what `make run` registers (docs/im1-api.md, "Try it"):

    .venv/bin/python scripts/im1_partner_demo.py [--base-url http://127.0.0.1:8000]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import requests
from simulator_code_flow import FlowError, client_assertion, code_flow, step

TIMEOUT = 10
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
REISSUE_REASON = "IM1 partner demo: the patient asked for a new key"


@dataclass(frozen=True)
class Credentials:
    """The ``gp_integration_credentials`` claim, as NHS login names its members."""

    account_id: str
    linkage_key: str
    ods_code: str

    def __repr__(self) -> str:  # never print the key
        return f"Credentials(account_id={self.account_id!r}, ods_code={self.ods_code!r})"


def signed_in_credentials(arguments: argparse.Namespace) -> tuple[Credentials, dict[str, Any]]:
    """Sign the patient in as the IM1 app; the claim and userinfo's other claims."""
    flow = argparse.Namespace(
        issuer=arguments.issuer,
        client_id=arguments.app_client_id,
        private_key=arguments.app_private_key,
        redirect_uri=arguments.app_redirect_uri,
        user=arguments.user,
        scope="openid profile gp_registration_details gp_integration_credentials",
        vtr='["P9.Cp.Cd","P9.Cp.Ck","P9.Cm"]',
    )
    claims = code_flow(flow).claims
    if "gp_integration_credentials" not in claims:
        raise FlowError("userinfo has no gp_integration_credentials: the GP system refused")
    claim = claims["gp_integration_credentials"]
    credentials = Credentials(claim["gp_user_id"], claim["gp_linkage_key"], claim["gp_ods_code"])
    return credentials, claims


class Partner:
    """The IM1 app's supplier, a client of the portal's linkage and IM1 APIs."""

    def __init__(self, arguments: argparse.Namespace) -> None:
        self.base_url = arguments.base_url
        token_url = f"{self.base_url}/api/oauth2/token"
        assertion = client_assertion(
            arguments.partner_client_id, Path(arguments.partner_private_key).read_bytes(), token_url
        )
        answer = requests.post(
            token_url,
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": JWT_BEARER,
                "client_assertion": assertion,
            },
            timeout=TIMEOUT,
        )
        if answer.status_code != 200:
            raise FlowError(f"the linkage API's token endpoint answered {answer.status_code}")
        self._token = answer.json()["access_token"]
        step(f"the partner ({arguments.partner_client_id}) got a linkage API token")

    def pair(self, credentials: Credentials, claims: dict[str, Any]) -> requests.Response:
        return requests.post(
            f"{self.base_url}/api/im1/v1/pairings",
            json={
                "accountId": credentials.account_id,
                "linkageKey": credentials.linkage_key,
                "odsCode": credentials.ods_code,
                "surname": claims["family_name"],
                "dateOfBirth": claims["birthdate"],
            },
            headers={"Authorization": f"Bearer {self._token}"},
            timeout=TIMEOUT,
        )

    def connect(self, credentials: Credentials, claims: dict[str, Any]) -> str:
        answer = self.pair(credentials, claims)
        if answer.status_code != 201:
            raise FlowError(f"pairing answered {answer.status_code}: {error_code(answer)}")
        step(f"paired with the GP record of Account ID {credentials.account_id}")
        connection_token: str = answer.json()["connectionToken"]
        return connection_token

    def read(self, connection_token: str) -> requests.Response:
        return requests.get(
            f"{self.base_url}/api/im1/v1/patient",
            headers={
                "Authorization": f"Bearer {self._token}",
                "IM1-Connection-Token": connection_token,
            },
            timeout=TIMEOUT,
        )


def error_code(answer: requests.Response) -> str:
    try:
        return str(answer.json().get("errorCode", ""))
    except ValueError:
        return "(not JSON)"


def record_read(partner: Partner, connection_token: str) -> dict[str, Any]:
    answer = partner.read(connection_token)
    if answer.status_code != 200:
        raise FlowError(f"reading the record answered {answer.status_code}: {error_code(answer)}")
    patient: dict[str, Any] = answer.json()
    step(
        f"read the record over the connection: {patient['givenName']} {patient['surname']}, "
        f"born {patient['dateOfBirth']}, at {patient['practiceName']} ({patient['odsCode']})"
    )
    return patient


def form_token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if found is None:
        raise FlowError("the admin page has no form")
    return found.group(1)


def staff_reissue(arguments: argparse.Namespace, nhs_number: str) -> None:
    """Sign in to the admin as practice staff and reissue the patient's active key, as a
    receptionist would from the key's page."""
    admin = requests.Session()
    login_url = f"{arguments.base_url}/admin/login/"
    page = admin.get(login_url, timeout=TIMEOUT)
    signed_in = admin.post(
        login_url,
        data={
            "csrfmiddlewaretoken": form_token(page.text),
            "username": arguments.staff_username,
            "password": Path(arguments.staff_password_file).read_text().strip(),
            "next": "/admin/",
        },
        headers={"Referer": login_url},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    if signed_in.status_code != 302:
        raise FlowError(f"the staff sign-in was refused ({arguments.staff_username})")
    keys = admin.get(
        f"{arguments.base_url}/admin/linkage/linkagekey/",
        params={"q": nhs_number, "status__exact": "active"},
        timeout=TIMEOUT,
    )
    found = re.search(r'href="(/admin/linkage/linkagekey/\d+)/change/', keys.text)
    if found is None:
        raise FlowError("the admin lists no active key for the patient")
    reissue_url = f"{arguments.base_url}{found.group(1)}/reissue/"
    asked = admin.get(reissue_url, timeout=TIMEOUT)
    reissued = admin.post(
        reissue_url,
        data={"csrfmiddlewaretoken": form_token(asked.text), "reason": REISSUE_REASON},
        headers={"Referer": reissue_url},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    if reissued.status_code != 302 or "new-key-letter" not in reissued.headers.get("Location", ""):
        raise FlowError(f"the reissue was refused ({reissued.status_code})")
    step(f"practice staff ({arguments.staff_username}) reissued the key in the admin")


def refused(answer: requests.Response, status: int, code: str, what: str) -> None:
    if (answer.status_code, error_code(answer)) != (status, code):
        raise FlowError(f"{what} answered {answer.status_code} {error_code(answer)}")
    step(f"{what} is refused: {status} {code}")


def section(title: str) -> None:
    print(f"\n== {title}")


def run(arguments: argparse.Namespace) -> dict[str, object]:
    section(f"1. The IM1 app signs the test user {arguments.user} in at NHS login, at P9")
    first, claims = signed_in_credentials(arguments)
    step(
        f"NHS login gave the app gp_integration_credentials: Account ID {first.account_id} at "
        f"{first.ods_code}, fetched from the portal's linkage API"
    )
    section("2. The app's supplier pairs with the patient's GP record, and reads it")
    partner = Partner(arguments)
    old_connection = partner.connect(first, claims)
    record_read(partner, old_connection)

    section("3. Practice staff reissue the patient's linkage key")
    staff_reissue(arguments, claims["nhs_number"])
    refused(partner.read(old_connection), 403, "CONNECTION_NOT_VALID", "the old connection")
    refused(partner.pair(first, claims), 403, "PAIRING_FAILED", "pairing with the old key")

    section("4. A new sign-in at NHS login gives the app the new key")
    second, claims = signed_in_credentials(arguments)
    if second.account_id != first.account_id or second.linkage_key == first.linkage_key:
        raise FlowError("a new sign-in did not give a new key under the same Account ID")
    step("a new sign-in gives the new key, under the same Account ID")
    record_read(partner, partner.connect(second, claims))
    return {"account_id": second.account_id, "ods_code": second.ods_code, "key_changed": True}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--issuer", help="default: {base-url}/nhs-login-simulator")
    # Iga Nowak, at the demo practice with no key until NHS login asks for one: the first
    # sign-in shows the GP system creating it. Ava Thompson (p9-demo-practice) has one already.
    parser.add_argument("--user", default="p9-passkey", help="the simulator's test user")
    parser.add_argument("--app-client-id", default="demo-im1-app")
    parser.add_argument("--app-private-key", default="data/nhs_login/demo_im1_app_key.pem")
    parser.add_argument("--app-redirect-uri", default="https://demo-im1-app.example.org/callback")
    parser.add_argument("--partner-client-id", default="demo-im1-partner")
    parser.add_argument(
        "--partner-private-key", default="data/linkage_api/demo_im1_partner_key.pem"
    )
    parser.add_argument("--staff-username", default="demo-reception")
    parser.add_argument("--staff-password-file", default="data/demo_staff_password")
    arguments = parser.parse_args()
    arguments.base_url = arguments.base_url.rstrip("/")
    arguments.issuer = arguments.issuer or f"{arguments.base_url}/nhs-login-simulator"
    try:
        outcome = run(arguments)
    except (FlowError, OSError, requests.RequestException, jwt.PyJWTError, KeyError) as error:
        print(f"FAILED  {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(json.dumps(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main())
