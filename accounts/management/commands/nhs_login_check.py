"""Check the portal's NHS login configuration against the provider it names, before a patient
finds the problem: for developers connecting to NHS login's sandpit or integration
environment (docs/operations.md, "Registering with NHS login").

Each check prints one line: OK, or PROBLEM with what to fix. Last, a token request with a
made-up code goes through the portal's own client code: a provider that accepts the client
assertion can only answer ``invalid_grant`` (the code is not one it issued), while
``invalid_client`` means it did not accept the assertion (Federation specification 3.5.3,
table 10). Nothing printed is secret: never the private key, never the assertion.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.nhs_login_checks import (
    Check,
    client_id_check,
    discovery_checks,
    issuer_check,
    private_key_check,
    redirect_uri_check,
    scopes_check,
    token_request_check,
    vtr_check,
)
from accounts.nhs_login_client import (
    ProviderResponseInvalidError,
    ProviderUnavailableError,
    provider_discovery_document,
    provider_metadata_forget,
)
from core.rsa_keys import public_key_pem


class Command(BaseCommand):
    help = (
        "Check the NHS login configuration (issuer, key, client id, redirect URI, scopes, vtr) "
        "against the provider, ending with a token request that proves whether the client "
        "assertion is accepted. Exits non-zero if anything needs fixing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        checks = [client_id_check(), issuer_check()]
        document: dict[str, Any] | None = None
        if checks[-1].ok:
            document, discovery = self._discovery()
            checks.append(discovery)
            if document is not None:
                checks += discovery_checks(document)
        key_check, public_key = private_key_check()
        checks += [key_check, redirect_uri_check(), scopes_check(), vtr_check()]
        for check in checks:
            self.stdout.write(check.line())
        if public_key is not None:
            self.stdout.write("Public key to register with NHS login (PEM):")
            self.stdout.write(public_key_pem(public_key), ending="")
        problems = sum(not check.ok for check in checks)
        if problems:
            last = Check("token request", "not sent", "fix the problems above, then run this again")
        else:
            last = token_request_check()
            problems += not last.ok
        checks.append(last)
        self.stdout.write(last.line())
        if problems:
            raise CommandError(
                f"{problems} {'problem' if problems == 1 else 'problems'} with the NHS login "
                "configuration: fix them and run this again"
            )
        self.stdout.write(f"All {len(checks)} checks passed.")

    def _discovery(self) -> tuple[dict[str, Any] | None, Check]:
        url = f"{settings.NHS_LOGIN_ISSUER}/.well-known/openid-configuration"
        provider_metadata_forget()  # read the provider as it is now, not as cached
        try:
            document = provider_discovery_document()
        except ProviderUnavailableError as error:
            return None, Check(
                "discovery",
                f"{url} cannot be reached ({error})",
                "check NHS_LOGIN_ISSUER, and that this machine can reach the provider",
            )
        except ProviderResponseInvalidError as error:
            return None, Check(
                "discovery",
                f"{url} is not a discovery document ({error})",
                "check NHS_LOGIN_ISSUER is the provider's issuer, not another address",
            )
        return document, Check("discovery", url)
