"""Small findings of the attack on the running portal, each pinned: signed-in pages are never
stored, the signed-out page never claims a sign-out that did not happen, and an error code NHS
login does not send is a bad request, not a server error."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts import nhs_login_client
from accounts.backends import NhsLoginBackend, UserinfoSubjectMismatchError
from accounts.models import Patient, User


@pytest.mark.parametrize(
    "path", ["/home/", "/home/linkage-details/", "/auth/sign-out/", "/auth/prove-who-you-are/"]
)
def test_signed_in_pages_are_never_stored(patient_client: Client, path: str) -> None:
    response = patient_client.get(path)

    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_public_pages_to_a_signed_out_browser_are_left_to_their_own_caching(
    client: Client,
) -> None:
    response = client.get("/")

    assert "no-store" not in response.get("Cache-Control", "")


def test_the_signed_out_page_sends_a_signed_in_patient_to_their_page(
    patient_client: Client,
) -> None:
    response = patient_client.get("/auth/signed-out/")

    assert response.status_code == 302
    assert response["Location"] == "/home/"
    assert patient_client.get("/home/").status_code == 200


def test_the_signed_out_page_says_so_once_signed_out(client: Client) -> None:
    response = client.get("/auth/signed-out/")

    assert response.status_code == 200
    assert "<h1>You have signed out</h1>" in response.content.decode()


@pytest.mark.django_db
def test_an_error_code_nhs_login_does_not_send_is_a_bad_request(client: Client) -> None:
    response = client.get("/auth/nhs-login/callback/?error=made_up_code&state=abc")

    assert response.status_code == 400
    assert "Your sign-in did not work" in response.content.decode()


def test_a_deactivated_patient_is_signed_out_at_their_next_request(
    patient_client: Client,
) -> None:
    assert patient_client.get("/home/").status_code == 200
    User.objects.filter(patient__isnull=False).update(is_active=False)

    response = patient_client.get("/home/")

    assert response.status_code == 302
    assert not response["Location"].startswith("/home/")


def test_the_signed_in_patient_and_their_profile_are_read_in_one_query(
    patient_client: Client,
) -> None:
    """Every patient page reads the user and their profile: one SELECT for both."""
    user_id = User.objects.get(patient__isnull=False).pk

    with CaptureQueriesContext(connection) as queries:
        user = NhsLoginBackend().get_user(user_id)
        assert user is not None
        assert user.patient.nhs_login_sub

    assert len(queries.captured_queries) == 1


def test_a_p5_session_stays_at_p5_when_another_session_steps_the_account_up(
    p5_patient_client: Client,
) -> None:
    """Another browser of the same patient stepped up: the account now says P9, but this
    session signed in at P5, so it sees no NHS number and is still asked to step up."""
    Patient.objects.update(identity_proofing_level="P9", vot="P9.Cp.Cd", nhs_number="9990000034")

    home = patient_client_page(p5_patient_client, "/home/")
    linkage = p5_patient_client.get("/home/linkage-details/")

    assert "9990000034" not in home
    assert "999 000 0034" not in home
    assert linkage.status_code == 302
    assert linkage["Location"].startswith("/auth/prove-who-you-are/")


def patient_client_page(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("userinfo_nhs_number", "accepted"),
    [
        pytest.param("9990000018", True, id="the-same-number"),
        pytest.param(None, True, id="userinfo-without-one"),
        pytest.param("9990000026", False, id="another-number"),
    ],
)
def test_userinfo_must_agree_with_the_signed_id_tokens_nhs_number(
    monkeypatch: pytest.MonkeyPatch, userinfo_nhs_number: str | None, accepted: bool
) -> None:
    """Userinfo is not signed: an NHS number there that differs from the ID token's is another
    patient's answer, and the sign-in is refused rather than stored with it."""
    id_token = {"sub": "sub-1", "nhs_number": "9990000018", "vot": "P9.Cp.Cd"}
    userinfo: dict[str, str] = {"sub": "sub-1"}
    if userinfo_nhs_number is not None:
        userinfo["nhs_number"] = userinfo_nhs_number
    monkeypatch.setattr(nhs_login_client, "userinfo_request", lambda access_token: userinfo)

    def fetched() -> dict[str, Any]:
        return NhsLoginBackend().get_userinfo("access-token", "id-token", id_token)

    if accepted:
        assert fetched() == userinfo
    else:
        with pytest.raises(UserinfoSubjectMismatchError, match="nhs_number"):
            fetched()
