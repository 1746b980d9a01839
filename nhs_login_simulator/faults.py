"""Faults the simulator can inject, so relying parties can prove they refuse each one.

A fault is chosen per sign-in on the simulator's page (kept with the authorization code and
any refresh token made from it), or for every flow with ``NHS_LOGIN_SIMULATOR_FAULT``.
"""

from __future__ import annotations

from enum import StrEnum

from django.conf import settings


class Fault(StrEnum):
    NONE = ""
    TOKEN_SLOW = "token_slow"
    TOKEN_SERVER_ERROR = "token_server_error"
    TOKEN_NOT_JSON = "token_not_json"
    TOKEN_CONNECTION_DROPPED = "token_connection_dropped"
    TOKEN_DRIP = "token_drip"
    USERINFO_SLOW = "userinfo_slow"
    USERINFO_SERVER_ERROR = "userinfo_server_error"
    USERINFO_NOT_JSON = "userinfo_not_json"
    USERINFO_CONNECTION_DROPPED = "userinfo_connection_dropped"
    USERINFO_DRIP = "userinfo_drip"
    USERINFO_SUB_MISMATCH = "userinfo_sub_mismatch"
    GP_SYSTEM_UNAVAILABLE = "gp_system_unavailable"
    ID_TOKEN_ALG_NONE = "id_token_alg_none"
    ID_TOKEN_HS512_WITH_PUBLIC_KEY = "id_token_hs512_with_public_key"
    ID_TOKEN_HS512_WITH_CLIENT_KEY = "id_token_hs512_with_client_key"
    ID_TOKEN_RS256 = "id_token_rs256"
    ID_TOKEN_UNKNOWN_KID = "id_token_unknown_kid"
    ID_TOKEN_BAD_SIGNATURE = "id_token_bad_signature"
    ID_TOKEN_JKU_HEADER = "id_token_jku_header"
    ID_TOKEN_X5U_HEADER = "id_token_x5u_header"
    ID_TOKEN_JWK_HEADER = "id_token_jwk_header"
    ID_TOKEN_WRONG_ISS = "id_token_wrong_iss"
    ID_TOKEN_WRONG_AUD = "id_token_wrong_aud"
    ID_TOKEN_WRONG_AZP = "id_token_wrong_azp"
    ID_TOKEN_WRONG_NONCE = "id_token_wrong_nonce"
    ID_TOKEN_NO_NONCE = "id_token_no_nonce"
    ID_TOKEN_EXPIRED = "id_token_expired"
    ID_TOKEN_IAT_IN_FUTURE = "id_token_iat_in_future"
    ID_TOKEN_VOT_NOT_REQUESTED = "id_token_vot_not_requested"
    ID_TOKEN_NO_VOT = "id_token_no_vot"


FAULT_DESCRIPTIONS: dict[Fault, str] = {
    Fault.NONE: "No fault: behave like NHS login",
    Fault.TOKEN_SLOW: "Token endpoint answers slowly",
    Fault.TOKEN_SERVER_ERROR: "Token endpoint returns 500",
    Fault.TOKEN_NOT_JSON: "Token endpoint returns an HTML page",
    Fault.TOKEN_CONNECTION_DROPPED: "Token endpoint drops the connection without answering",
    Fault.TOKEN_DRIP: "Token endpoint sends its answer one byte at a time, slowly",
    Fault.USERINFO_SLOW: "Userinfo endpoint answers slowly",
    Fault.USERINFO_SERVER_ERROR: "Userinfo endpoint returns 500",
    Fault.USERINFO_NOT_JSON: "Userinfo endpoint returns an HTML page",
    Fault.USERINFO_CONNECTION_DROPPED: "Userinfo endpoint drops the connection without answering",
    Fault.USERINFO_DRIP: "Userinfo endpoint sends its answer one byte at a time, slowly",
    Fault.USERINFO_SUB_MISMATCH: "Userinfo sub differs from the ID token's",
    Fault.GP_SYSTEM_UNAVAILABLE: "GP system unavailable: userinfo leaves out GP credentials",
    Fault.ID_TOKEN_ALG_NONE: "ID token unsigned (alg none)",
    Fault.ID_TOKEN_HS512_WITH_PUBLIC_KEY: "ID token HS512, keyed with the public key",
    Fault.ID_TOKEN_HS512_WITH_CLIENT_KEY: "ID token HS512, keyed with the client's public key",
    Fault.ID_TOKEN_RS256: "ID token signed RS256 instead of RS512",
    Fault.ID_TOKEN_UNKNOWN_KID: "ID token signed by a key not in the JWKS",
    Fault.ID_TOKEN_BAD_SIGNATURE: "ID token signature does not match its kid",
    Fault.ID_TOKEN_JKU_HEADER: "ID token header points at another JWKS (jku)",
    Fault.ID_TOKEN_X5U_HEADER: "ID token header points at another certificate (x5u)",
    Fault.ID_TOKEN_JWK_HEADER: "ID token signed by a key it carries in its header (jwk)",
    Fault.ID_TOKEN_WRONG_ISS: "ID token from another issuer",
    Fault.ID_TOKEN_WRONG_AUD: "ID token for another client (aud)",
    Fault.ID_TOKEN_WRONG_AZP: "ID token with several audiences and another client's azp",
    Fault.ID_TOKEN_WRONG_NONCE: "ID token with a different nonce",
    Fault.ID_TOKEN_NO_NONCE: "ID token without a nonce",
    Fault.ID_TOKEN_EXPIRED: "ID token already expired",
    Fault.ID_TOKEN_IAT_IN_FUTURE: "ID token issued 10 minutes in the future",
    Fault.ID_TOKEN_VOT_NOT_REQUESTED: "ID token with a vot that was not requested",
    Fault.ID_TOKEN_NO_VOT: "ID token without a vot",
}


def fault_effective(flow_fault: str) -> Fault:
    """The flow's own fault, or else the one set for every flow."""
    return Fault(flow_fault or settings.NHS_LOGIN_SIMULATOR_FAULT)
