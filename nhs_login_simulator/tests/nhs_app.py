"""The NHS App as another relying party (RP1), for tests of single sign-on by an asserted
token (NHS login's "Single Sign On" page).

``NhsApp.register(sso_with=[...])`` registers it with the simulator, with a key made here and
single sign-on set up with the given clients; ``asserted_login_identity(user=...)`` signs that
test user in to the NHS App through the simulator's own endpoints (sign-in page, consent,
token exchange with an RS512 client assertion) and returns the JWT the NHS App would hand
another service: ``code`` the ``jti`` of the ID token it was issued, signed RS512 with its
client key. Any test can pass that on to the portal's NHS App jump-off.

It talks to the simulator in-process with Django's test client, so it works beside a live
server (same database) as well as alone; the issuer is ``NHS_LOGIN_SIMULATOR_ISSUER``.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.test import Client as HttpClient

from core.client_assertion import JWT_BEARER
from core.rsa_keys import private_key_generate, public_key_pem
from nhs_login_simulator.clients import ClientKey, client_register
from nhs_login_simulator.models import Client

NHS_APP_CLIENT_ID = "nhs-app"
NHS_APP_REDIRECT_URI = "https://www.nhsapp.service.nhs.uk/login/callback/"
P9_VTR = ["P9.Cp.Cd", "P9.Cp.Ck", "P9.Cm"]
P5_OR_P9_VTR = ["P5.Cp.Cd", "P5.Cp.Ck", "P5.Cm", *P9_VTR]


def _field(html: str, name: str) -> str:
    marker = f'name="{name}" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


@dataclass
class NhsApp:
    """RP1: a client registered with the simulator whose private key the test holds."""

    client: Client
    private_key: rsa.RSAPrivateKey = field(repr=False)
    browser: HttpClient = field(default_factory=HttpClient, repr=False)

    @classmethod
    def register(
        cls, *, sso_with: list[str], client_id: str = NHS_APP_CLIENT_ID, key_id: str = ""
    ) -> NhsApp:
        """Register the NHS App (PEM key, or a JWK with ``key_id``), sharing single sign-on
        with each client of ``sso_with`` (already registered)."""
        private_key = private_key_generate()
        client, _ = client_register(
            client_id=client_id,
            name="NHS App",
            redirect_uris=[NHS_APP_REDIRECT_URI],
            key=ClientKey(public_key_pem(private_key.public_key()), key_id),
            im1_enabled=False,
            scopes=["openid", "profile", "email"],
            vtr_sets=[json.dumps(P9_VTR), json.dumps(P5_OR_P9_VTR)],
            sso_with=sso_with,
        )
        return cls(client, private_key)

    @property
    def _prefix(self) -> str:
        return urlsplit(str(settings.NHS_LOGIN_SIMULATOR_ISSUER)).path

    def id_token(self, *, user: str = "p9-demo-practice", vtr: list[str] | None = None) -> str:
        """Sign the user in to the NHS App and return the ID token the simulator issued it."""
        vtr = vtr or P5_OR_P9_VTR
        page = self.browser.get(
            f"{self._prefix}/authorize",
            {
                "client_id": self.client.client_id,
                "redirect_uri": NHS_APP_REDIRECT_URI,
                "response_type": "code",
                "scope": "openid profile",
                "state": uuid.uuid4().hex,
                "nonce": uuid.uuid4().hex,
                "vtr": json.dumps(vtr),
                "prompt": "login",
            },
        )
        assert page.status_code == 200, page.content
        answer = self.browser.post(
            f"{self._prefix}/authorize/test-user",
            {"request": _field(page.content.decode(), "request"), "user": user},
        )
        if answer.status_code == 200 and "/authorize/consent/share" in answer.content.decode():
            html = answer.content.decode()
            answer = self.browser.post(
                f"{self._prefix}/authorize/consent/share",
                {"request": _field(html, "request"), "pending": _field(html, "pending")},
            )
        assert answer.status_code == 302, answer.content
        code = parse_qs(urlsplit(answer["Location"]).query)["code"][0]
        tokens = self.browser.post(
            f"{self._prefix}/token",
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": NHS_APP_REDIRECT_URI,
                "client_assertion_type": JWT_BEARER,
                "client_assertion": self.sign(
                    {
                        "iss": self.client.client_id,
                        "sub": self.client.client_id,
                        "aud": f"{settings.NHS_LOGIN_SIMULATOR_ISSUER}/token",
                        "jti": str(uuid.uuid4()),
                        "exp": int(time.time()) + 60,
                    }
                ),
            },
        )
        assert tokens.status_code == 200, tokens.content
        id_token: str = tokens.json()["id_token"]
        return id_token

    def sign(self, claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
        """A JWT signed RS512 with the NHS App's client key."""
        key_header = {"kid": self.client.key_id} if self.client.key_id else {}
        return jwt.encode(
            claims, self.private_key, algorithm="RS512", headers={**key_header, **(headers or {})}
        )

    def asserted_login_identity(
        self, *, user: str = "p9-demo-practice", vtr: list[str] | None = None, **overrides: Any
    ) -> str:
        """Sign the user in to the NHS App, then make the asserted token it hands another
        service. Overrides change its claims (None removes one)."""
        id_token_jti = jwt.decode(
            self.id_token(user=user, vtr=vtr), options={"verify_signature": False}
        )["jti"]
        now = int(time.time())
        claims = {
            "code": id_token_jti,
            "iss": self.client.client_id,
            "jti": str(uuid.uuid4()),
            "iat": now,
            "exp": now + 60,
            **overrides,
        }
        return self.sign({name: value for name, value in claims.items() if value is not None})
