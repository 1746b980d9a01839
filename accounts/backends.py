"""NHS login as a Django authentication backend: mozilla-django-oidc, extended.

mozilla-django-oidc runs the flow (state, nonce, PKCE verifier, callback, login). It has no
private_key_jwt client authentication (https://github.com/mozilla/mozilla-django-oidc/issues/457
and /553) and checks little of the ID token, so this subclass replaces the token request, the ID
token verification and the userinfo request with the portal's own, which read NHS login's
endpoints from discovery, and checks the access token as well (docs/adr/0006).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from accounts import nhs_login_client
from accounts.id_token import access_token_verify, id_token_verify
from accounts.models import User
from accounts.selectors import active_user_with_patient
from accounts.services import patient_sign_in
from accounts.sign_in_flow import SignInFlow


class UserinfoSubjectMismatchError(Exception):
    """The userinfo response is about someone else: it must be discarded (Federation 3.6.2.1)."""


# Claims both tokens may carry for which the signed ID token is the authority: userinfo is not
# signed (Federation 3.6.2.1), so where it says otherwise it is not believed.
SIGNED_CLAIMS_USERINFO_MUST_AGREE_WITH = ("nhs_number",)


def sign_in_flow_of(request: HttpRequest) -> SignInFlow:
    """The flow the callback view found for this request's state (set before authenticating)."""
    flow = getattr(request, "nhs_login_flow", None)
    if not isinstance(flow, SignInFlow):
        raise LookupError("no NHS login flow attached to this request")
    return flow


class NhsLoginBackend(OIDCAuthenticationBackend):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The parent reads fixed endpoints from settings; ours come from discovery per request.
        self.UserModel = get_user_model()
        self.OIDC_RP_CLIENT_ID = settings.NHS_LOGIN_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = None  # never sent: we authenticate with private_key_jwt

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        if request is None or getattr(request, "nhs_login_flow", None) is None:
            return None  # not an NHS login callback: let the next backend try
        user: User | None = super().authenticate(request, **kwargs)
        return user

    def get_user(self, user_id: Any) -> User | None:
        """The signed-in user on each request, as long as the account is active: a patient
        whose account is deactivated is signed out at their next request, not when the
        session ends (the parent's does not look at ``is_active``). Their profile comes in
        the same query, written out (accounts/selectors.py): every patient page reads it."""
        return active_user_with_patient(user_id)

    def get_token(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The parent's token payload carries the code and, from the state's entry in the
        session, this sign-in's PKCE verifier (``OIDC_USE_PKCE``; RFC 7636, 4.5)."""
        return nhs_login_client.token_request(
            code=payload["code"], code_verifier=payload.get("code_verifier")
        )

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        return id_token_verify(
            token, nonce=kwargs.get("nonce") or "", requested_vtr=sign_in_flow_of(self.request).vtr
        )

    def get_userinfo(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        userinfo = nhs_login_client.userinfo_request(access_token=access_token)
        if userinfo.get("sub") != payload["sub"]:
            raise UserinfoSubjectMismatchError("userinfo sub differs from the ID token's")
        for claim in SIGNED_CLAIMS_USERINFO_MUST_AGREE_WITH:
            if claim in payload and claim in userinfo and userinfo[claim] != payload[claim]:
                raise UserinfoSubjectMismatchError(f"userinfo {claim} differs from the ID token's")
        return userinfo

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> User:
        if settings.NHS_LOGIN_ACCESS_TOKEN_SIGNED:
            # NHS login signs its access tokens and puts vot and vtm in them too (Federation
            # specification 4.3): checked before the token is used, not only passed on.
            access_token_verify(access_token, id_token_claims=payload)
        userinfo = self.get_userinfo(access_token, id_token, payload)
        return patient_sign_in(id_token_claims=payload, userinfo=userinfo)

    def store_tokens(self, access_token: str, id_token: str) -> None:
        """Tokens are not kept: the portal needs nothing from NHS login after sign-in."""
