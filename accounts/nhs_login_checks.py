"""The checks of ``manage.py nhs_login_check`` (accounts/management/commands/nhs_login_check.py):
the portal's NHS login configuration against NHS login's published rules (Federation
specification; "Scopes and claims") and against the provider it names. Each returns a
``Check``, OK or a PROBLEM with what to fix; nothing in one is secret."""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from accounts.nhs_login_client import (
    ProviderRefusedError,
    ProviderResponseInvalidError,
    ProviderUnavailableError,
    redirect_uri,
    token_request,
)
from accounts.sign_in_flow import vtr_sets_sent
from core.this_machine import url_is_this_machine

# NHS login's scopes ("Scopes and claims", its table of scopes and claims).
NHS_LOGIN_SCOPES = (
    "openid",
    "profile",
    "basic_demographics",
    "profile_extended",
    "email",
    "phone",
    "landline",
    "gp_registration_details",
    "gp_integration_credentials",
    "client_metadata",
)
# Federation specification 5.1.6, table 21: the vectors NHS login supports.
NHS_LOGIN_VECTORS = frozenset(
    f"{level}.{credentials}"
    for level in ("P0", "P5", "P9")
    for credentials in ("Cp", "Cp.Cd", "Cp.Ck", "Cm")
)
ENDPOINTS = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")
MINIMUM_KEY_BITS = 2048  # Federation specification 7.1, table 2: a 2048-bit RSA key pair
DUMMY_CODE = "nhs-login-check-not-a-real-authorization-code"


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, what was found and, if wrong, how to fix it."""

    name: str
    found: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        return not self.fix

    def line(self) -> str:
        if self.ok:
            return f"OK       {self.name}: {self.found}"
        return f"PROBLEM  {self.name}: {self.found}. Fix: {self.fix}"


def _https_or_local(url: str) -> bool:
    scheme = urlsplit(url).scheme
    return scheme == "https" or (scheme == "http" and url_is_this_machine(url))


def client_id_check() -> Check:
    if settings.NHS_LOGIN_CLIENT_ID:
        return Check("client id", settings.NHS_LOGIN_CLIENT_ID)
    return Check(
        "client id",
        "NHS_LOGIN_CLIENT_ID is not set",
        "set it to the client_id NHS login gave this portal for this environment",
    )


def issuer_check() -> Check:
    issuer = settings.NHS_LOGIN_ISSUER
    if not issuer:
        return Check(
            "issuer",
            "NHS_LOGIN_ISSUER is not set",
            "set it to the environment's issuer, e.g. https://auth.sandpit.signin.nhs.uk",
        )
    if not _https_or_local(issuer):
        return Check(
            "issuer",
            f"{issuer} is not an https:// address",
            "use the https:// issuer NHS login publishes for the environment",
        )
    return Check("issuer", issuer)


def discovery_checks(document: dict[str, Any]) -> list[Check]:
    """What the portal needs from the provider's discovery document (OpenID Connect Discovery
    1.0; Federation specification 3.3, 4.5 and 7.2)."""
    issuer = settings.NHS_LOGIN_ISSUER
    checks = []
    if document.get("issuer") == issuer:
        checks.append(Check("discovery issuer", f"names {issuer}, as configured"))
    else:
        checks.append(
            Check(
                "discovery issuer",
                f"the document names {str(document.get('issuer'))[:200]!r}, not {issuer}",
                "set NHS_LOGIN_ISSUER to exactly the issuer the provider names (no trailing "
                "slash, same scheme and host)",
            )
        )
    missing = [name for name in ENDPOINTS if not isinstance(document.get(name), str)]
    insecure = [
        name
        for name in ENDPOINTS
        if name not in missing and not url_is_this_machine(issuer)
        if urlsplit(document[name]).scheme != "https"
    ]
    if missing:
        checks.append(
            Check(
                "endpoints",
                f"the document has no {', '.join(missing)}",
                "check NHS_LOGIN_ISSUER names an OpenID Provider",
            )
        )
    elif insecure:
        checks.append(
            Check(
                "endpoints",
                f"{', '.join(insecure)} not https",
                "use the provider's https:// issuer; NHS login's endpoints are all https",
            )
        )
    else:
        checks.append(Check("endpoints", f"token endpoint {document['token_endpoint']}"))
    checks.append(
        _supported(
            document,
            "id_token_signing_alg_values_supported",
            "RS512",
            "ID token signing",
            "the provider must sign ID tokens RS512 (Federation specification 4.5)",
        )
    )
    checks.append(
        _supported(
            document,
            "token_endpoint_auth_methods_supported",
            "private_key_jwt",
            "client authentication",
            "the provider must accept private_key_jwt (Federation specification 7.2.1)",
        )
    )
    if "token_endpoint_auth_signing_alg_values_supported" in document:
        checks.append(
            _supported(
                document,
                "token_endpoint_auth_signing_alg_values_supported",
                "RS512",
                "client assertion signing",
                "the provider must accept RS512 client assertions",
            )
        )
    checks.append(pkce_check(document))
    return checks


def pkce_check(document: dict[str, Any]) -> Check:
    """What the provider says of PKCE, which the portal sends on every sign-in with S256
    (docs/adr/0012). NHS login's published documents say nothing of it for the clients it
    serves, so a document without ``code_challenge_methods_supported`` is not a problem: a
    provider without PKCE ignores the challenge (RFC 6749, 3.1), and the line says its codes are
    then bound to the sign-in by the nonce alone. A provider that lists methods without S256
    would refuse every sign-in (RFC 7636, 4.4.1)."""
    name = "PKCE"
    offered = document.get("code_challenge_methods_supported")
    if offered is None:
        return Check(
            name,
            "the provider does not say it supports PKCE (no code_challenge_methods_supported): "
            "the portal sends an S256 challenge anyway, which such a provider ignores, and its "
            "codes are then bound to the sign-in by the nonce alone",
        )
    if isinstance(offered, list) and "S256" in offered:
        return Check(name, "S256 supported: each code is bound to the sign-in that asked for it")
    return Check(
        name,
        f"code_challenge_methods_supported is {str(offered)[:200]}, without S256",
        "the portal sends S256 challenges only (plain would put the verifier in the browser's "
        "address bar, RFC 9700 2.1.1): ask the provider to support S256",
    )


def _supported(document: dict[str, Any], member: str, value: str, name: str, fix: str) -> Check:
    offered = document.get(member)
    if isinstance(offered, list) and value in offered:
        return Check(name, f"{value} supported")
    return Check(name, f"{member} does not list {value}", fix)


def private_key_check() -> tuple[Check, rsa.RSAPublicKey | None]:
    """The key the portal signs its client assertions with (Federation specification 7.1:
    "in PEM format and represent a 2048-bit RSA keypair")."""
    name = "private key"
    make_one = "make one with `manage.py nhs_login_keygen --out PATH` and register its public key"
    path_setting = settings.NHS_LOGIN_PRIVATE_KEY_PATH
    if not path_setting:
        return Check(name, "NHS_LOGIN_PRIVATE_KEY_PATH is not set", make_one), None
    path = Path(path_setting)
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return Check(name, f"{path} does not exist", make_one), None
    except OSError as error:
        return Check(
            name,
            f"{path} cannot be read ({error.strerror})",
            "let the user the portal runs as read it (mode 0600, owned by that user)",
        ), None
    try:
        private_key = serialization.load_pem_private_key(content, password=None)
    except TypeError:
        return Check(
            name,
            f"{path} is encrypted with a passphrase",
            "give the portal the key unencrypted, protected by the file's mode and location",
        ), None
    except ValueError:
        return Check(name, f"{path} is not a PEM private key", make_one), None
    if not isinstance(private_key, rsa.RSAPrivateKey):
        return Check(name, f"{path} is not an RSA key", make_one), None
    if private_key.key_size < MINIMUM_KEY_BITS:
        return Check(
            name, f"{path} is an RSA key of {private_key.key_size} bits, fewer than 2048", make_one
        ), None
    found = f"{path}: an unencrypted RSA key of {private_key.key_size} bits"
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        found += " (others can read the file: chmod 600 it)"
    if settings.NHS_LOGIN_KEY_ID:
        found += (
            f"; assertions name kid {settings.NHS_LOGIN_KEY_ID!r}, which is right only if the "
            "provider registered a JWK under it (NHS login registers a PEM: leave "
            "NHS_LOGIN_KEY_ID unset)"
        )
    return Check(name, found), private_key.public_key()


def redirect_uri_check() -> Check:
    """Federation specification 7.3: pre-agreed URIs only, no wildcards, no http; NHS login
    matches the registered URI exactly, so no query string or fragment either."""
    uri = redirect_uri()
    parts = urlsplit(uri)
    problems = []
    # http only between two addresses on this machine (the portal and the simulator); with no
    # issuer set, its own check says so.
    issuer = settings.NHS_LOGIN_ISSUER
    local = url_is_this_machine(uri) and (not issuer or url_is_this_machine(issuer))
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        problems.append("is not https")
    if parts.query or parts.fragment:
        problems.append("has a query string or fragment")
    if "*" in uri:
        problems.append("has a wildcard")
    if not parts.hostname:
        problems.append("has no host")
    if problems:
        return Check(
            "redirect URI",
            f"{uri} {' and '.join(problems)}",
            "set PORTAL_BASE_URL to the portal's public https:// address, without a path, "
            "query or wildcard; NHS login registers exact https redirect URIs only",
        )
    return Check("redirect URI", f"{uri} (register exactly this)")


def scopes_check() -> Check:
    """ "Scopes and claims": openid is mandatory (note 1); profile and basic_demographics
    cannot be asked for together (note 3); only the scopes NHS login defines."""
    scopes = str(settings.NHS_LOGIN_SCOPES).split()
    problems = []
    if "openid" not in scopes:
        problems.append("openid is missing")
    if "profile" in scopes and "basic_demographics" in scopes:
        problems.append("profile and basic_demographics cannot be asked for together")
    unknown = [scope for scope in scopes if scope not in NHS_LOGIN_SCOPES]
    if unknown:
        problems.append(f"NHS login defines no scope {', '.join(unknown)}")
    if problems:
        return Check(
            "scopes",
            f"{' '.join(scopes) or '(none)'}: {'; '.join(problems)}",
            "set NHS_LOGIN_SCOPES to openid and the NHS login scopes the service needs "
            "(docs/operations.md)",
        )
    found = f"{' '.join(scopes)} (register these)"
    if "gp_integration_credentials" in scopes:
        found += "; gp_integration_credentials is for IM1-enabled partners only"
    return Check("scopes", found)


def vtr_check() -> Check:
    """Every ``vtr`` list the portal sends must be registered with NHS login ("Testing
    scenarios", Vector of Trust check), each vector one of its profiles (Federation
    specification 5.1.6, table 21)."""
    sets = vtr_sets_sent()
    printed = "; ".join(json.dumps(list(vtr), separators=(",", ":")) for vtr in sets)
    wrong = sorted({vector for vtr in sets for vector in vtr if vector not in NHS_LOGIN_VECTORS})
    if wrong or not all(sets):
        return Check(
            "vtr",
            f"{printed}: {', '.join(wrong) or 'an empty list'} is not an NHS login vector",
            "set NHS_LOGIN_VTR to vectors from Federation specification 5.1.6, such as "
            '["P5.Cp.Cd","P5.Cp.Ck","P5.Cm","P9.Cp.Cd","P9.Cp.Ck","P9.Cm"]',
        )
    return Check("vtr", f"{printed} (register every one of these)")


def token_request_check() -> Check:
    """A token request with a code the provider never issued, through the portal's own
    client code: the client assertion is judged before the code is."""
    name = "token request"
    key_fix = (
        f"check that NHS_LOGIN_CLIENT_ID ({settings.NHS_LOGIN_CLIENT_ID}) is the client id "
        "this environment gave the portal, and that the public key registered for it is the "
        "one printed above (ask NHS login to register that PEM, or point "
        "NHS_LOGIN_PRIVATE_KEY_PATH at the key they have)"
    )
    if settings.NHS_LOGIN_KEY_ID:
        key_fix += (
            f"; NHS_LOGIN_KEY_ID is {settings.NHS_LOGIN_KEY_ID!r}: a provider that registered "
            "a PEM has no key of that kid, so unset it"
        )
    try:
        # A made-up code answers no sign-in, so there is no verifier to send with it.
        token_request(code=DUMMY_CODE, code_verifier=None)
    except ProviderRefusedError as refused:
        said = f" (the provider said: {refused.description})" if refused.description else ""
        if refused.error == "invalid_grant":
            return Check(
                name,
                "client assertion accepted: the provider answered invalid_grant to a made-up "
                "code, as it should",
            )
        if refused.error == "invalid_client":
            return Check(
                name,
                f"the provider did not accept the client assertion: invalid_client{said}",
                key_fix,
            )
        if refused.error == "unauthorized_client":
            return Check(
                name,
                f"the client may not use the authorization code grant{said}",
                "ask NHS login to enable the authorization code flow for this client id",
            )
        return Check(
            name,
            f"the provider answered {refused.error} (HTTP {refused.status}){said}",
            f"check the redirect URI {redirect_uri()} is registered exactly and the token "
            "endpoint is the provider's",
        )
    except ProviderUnavailableError as error:
        return Check(name, f"the token endpoint cannot be reached ({error})", "try again later")
    except ProviderResponseInvalidError as error:
        return Check(name, f"the token endpoint's answer was not JSON ({error})", "try again later")
    except ImproperlyConfigured as error:
        return Check(name, f"the portal cannot sign a client assertion ({error})", key_fix)
    return Check(
        name,
        "the provider issued tokens for a made-up code",
        "this is not an OpenID Provider to trust: check NHS_LOGIN_ISSUER",
    )
