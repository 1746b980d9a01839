"""What NHS login publishes about itself: the discovery document, its signing keys and the
trustmark a relying party may check (NHS login's OpenID Connect discovery)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import (
    HttpRequest,
    JsonResponse,
)
from django.views.decorators.http import require_GET

from nhs_login_simulator import keys, vectors
from nhs_login_simulator.claims import SCOPE_CLAIMS, SUPPORTED_SCOPES
from nhs_login_simulator.tokens import (
    endpoint,
    issuer,
    trustmark_host,
)


@login_not_required
@require_GET
def discovery(request: HttpRequest) -> JsonResponse:
    """OpenID Connect Discovery 1.0, section 3.

    No ``code_challenge_methods_supported``: NHS login's published documents name no PKCE
    support, so the simulator does not claim any; it still holds a client that sends an S256
    challenge to its verifier (nhs_login_simulator/authorization.py)."""
    return JsonResponse(
        {
            "issuer": issuer(),
            "authorization_endpoint": endpoint("authorize"),
            "token_endpoint": endpoint("token"),
            "userinfo_endpoint": endpoint("userinfo"),
            "jwks_uri": endpoint(".well-known/jwks.json"),
            "scopes_supported": list(SUPPORTED_SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS512"],
            "userinfo_signing_alg_values_supported": [],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS512"],
            "claims_supported": sorted(
                {claim for claims in SCOPE_CLAIMS.values() for claim in claims}
                | {"iss", "aud", "exp", "iat", "jti", "auth_time", "nonce", "vot", "vtm"}
            ),
            "prompt_values_supported": ["none", "login"],
            "vtr_supported": sorted(vectors.ALLOWED_VECTORS),
        }
    )


@login_not_required
@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    return JsonResponse(keys.jwks())


@login_not_required
@require_GET
def trustmark(request: HttpRequest, host: str) -> JsonResponse:
    """The trustmark the tokens' ``vtm`` names: which proofing levels and authentication
    components this provider supports (Federation specification 5.1.5, its example's shape)."""
    if host != trustmark_host():
        return JsonResponse({"error": "not_found"}, status=404)
    return JsonResponse(
        {
            "idp": issuer(),
            "trustmark_provider": issuer(),
            "P": list(vectors.PROOFING_LEVELS),
            "C": list(vectors.AUTHENTICATION_COMPONENTS),
        }
    )
