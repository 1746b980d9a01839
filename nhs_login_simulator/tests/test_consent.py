"""The consent screen: NHS login asks the user to share their information on a first sign-in
to a service, at a new level of verification and when the service asks for more; a decline
goes through an "are you sure" screen and comes back as a bare access_denied (NHS login's
"Sharing a user's NHS login information with your service")."""

from __future__ import annotations

from typing import Any

import pytest

from nhs_login_simulator.models import AuthorizationCode, Client, Consent
from nhs_login_simulator.tests.conftest import (
    BOTH_VTR,
    P0_VTR,
    P9_VTR,
    SimulatorFlow,
    hidden_field,
    is_consent_page,
    redirect_query,
)

AUTHORIZE = "/nhs-login-simulator/authorize"


def consent_page(flow: SimulatorFlow, user: str = "p9-demo-practice", **params: str) -> Any:
    page = flow.sign_in(user=user, share=False, **params)
    assert is_consent_page(page), page.content
    return page


def text(response: Any) -> str:
    return str(response.content.decode())


def test_first_sign_in_to_a_client_asks_for_consent_before_any_code(
    flow: SimulatorFlow,
) -> None:
    page = consent_page(flow)

    html = text(page)
    assert "<h1>Share your NHS login information with Test portal</h1>" in html
    assert "Share my information" in html
    assert "Do not share" in html
    assert not AuthorizationCode.objects.exists()
    assert not Consent.objects.exists()


def test_sharing_records_consent_and_returns_the_code(flow: SimulatorFlow) -> None:
    page = consent_page(flow, scope="openid profile email")

    response = flow.post_pending("consent/share", page)

    query = redirect_query(response["Location"])
    assert query["state"] == "state-123"
    assert AuthorizationCode.objects.get().user_id == "p9-demo-practice"
    consent = Consent.objects.get()
    assert (consent.user_id, consent.identity_proofing_level) == ("p9-demo-practice", "P9")
    assert consent.scopes == ["openid", "profile", "email"]


def test_a_second_sign_in_with_the_same_scopes_and_level_is_not_asked_again(
    flow: SimulatorFlow,
) -> None:
    flow.code_for()

    again = flow.sign_in(share=False)

    assert again.status_code == 302
    assert "code" in redirect_query(again["Location"])


def test_single_sign_on_still_asks_for_consent_when_none_was_given(
    flow: SimulatorFlow, registered_client: Client
) -> None:
    flow.code_for()
    Consent.objects.all().delete()

    page = flow.authorize()

    assert is_consent_page(page)


def test_prompt_none_with_a_session_still_shows_the_consent_screen(flow: SimulatorFlow) -> None:
    """prompt=none spares the user the sign-in page only (Federation specification 3.4.1)."""
    flow.code_for(scope="openid profile")

    page = flow.authorize(prompt="none", scope="openid profile email")

    assert is_consent_page(page)


def test_consent_is_asked_again_when_the_client_asks_for_more(flow: SimulatorFlow) -> None:
    flow.code_for(scope="openid profile")

    page = flow.sign_in(share=False, scope="openid profile email")

    assert is_consent_page(page)
    assert "Your email address" in text(page)
    flow.post_pending("consent/share", page)
    assert Consent.objects.get().scopes == ["openid", "profile", "email"]
    assert flow.sign_in(share=False, scope="openid email").status_code == 302


def test_consent_is_asked_again_at_a_new_level_after_a_step_up(flow: SimulatorFlow) -> None:
    flow.code_for(user="p5-demo-practice", vtr=BOTH_VTR)
    assert Consent.objects.get().identity_proofing_level == "P5"

    step_up = flow.sign_in(user="p5-demo-practice", vtr=P9_VTR)
    assert "<h1>Prove who you are</h1>" in text(step_up)
    page = flow.post_pending("prove-who-you-are", step_up)

    assert is_consent_page(page)
    assert "identity level P9" in text(page)
    assert not AuthorizationCode.objects.filter(identity_proofing_level="P9").exists()
    response = flow.post_pending("consent/share", page)
    assert "code" in redirect_query(response["Location"])
    assert Consent.objects.get().identity_proofing_level == "P9"


def test_a_lower_level_than_the_one_agreed_is_not_asked_again(flow: SimulatorFlow) -> None:
    """The agreement at P9 covers the less that P5 shares."""
    step_up = flow.sign_in(user="p5-demo-practice", vtr=P9_VTR)
    flow.share(flow.post_pending("prove-who-you-are", step_up))

    again = flow.sign_in(user="p5-demo-practice", vtr=BOTH_VTR, share=False)

    assert again.status_code == 302
    assert AuthorizationCode.objects.filter(identity_proofing_level="P5").exists()


def test_consent_is_per_client(flow: SimulatorFlow, registered_client: Client) -> None:
    flow.code_for()
    other = Client.objects.create(
        client_id="other",
        name="Other service",
        redirect_uris=registered_client.redirect_uris,
        public_key_pem=registered_client.public_key_pem,
        scopes=registered_client.scopes,
        vtr_sets=registered_client.vtr_sets,
    )

    page = flow.sign_in(share=False, client_id=other.client_id)

    assert is_consent_page(page)
    assert "Share your NHS login information with Other service" in text(page)


def test_consent_is_per_user(flow: SimulatorFlow) -> None:
    flow.code_for(user="p9-demo-practice")

    assert is_consent_page(flow.sign_in(user="p9-other-practice", share=False))


@pytest.mark.parametrize(
    ("user", "vtr", "shown", "not_shown"),
    [
        pytest.param(
            "p9-demo-practice",
            BOTH_VTR,
            [
                "Your profile",
                "NHS number",
                "Your email address",
                "Your mobile phone number",
                "Your GP surgery",
                "Your GP online services details",
            ],
            [],
            id="p9",
        ),
        pytest.param(
            "p5-demo-practice",
            BOTH_VTR,
            ["Your profile", "NHS number", "Your email address", "Your GP surgery"],
            ["Your GP online services details"],
            id="p5",
        ),
        pytest.param(
            "p0-unverified",
            P0_VTR,
            ["Your email address", "Your mobile phone number"],
            ["Your profile", "NHS number", "Your GP surgery", "Your GP online services details"],
            id="p0",
        ),
    ],
)
def test_the_screen_lists_what_each_scope_shares_at_the_users_level(
    flow: SimulatorFlow, user: str, vtr: str, shown: list[str], not_shown: list[str]
) -> None:
    """NHS login's "Testing scenarios": "the correct scopes are presented on consent screen"
    for users at P0, P5 and P9."""
    html = text(consent_page(flow, user=user, vtr=vtr))

    for label in shown:
        assert label in html
    for label in not_shown:
        assert label not in html


def test_the_screen_never_shows_the_values_it_will_share(flow: SimulatorFlow) -> None:
    html = text(consent_page(flow))

    assert "9990000018" not in html
    assert "Xw7kQ2mR9tLpZ" not in html
    assert "1985-03-05" not in html


def test_do_not_share_goes_to_a_confirmation_screen_without_leaving(flow: SimulatorFlow) -> None:
    confirmation = flow.post_pending("consent/decline", consent_page(flow))

    html = text(confirmation)
    assert confirmation.status_code == 200
    assert "<h1>Are you sure you do not want to share your information?</h1>" in html
    assert "No, go back and share" in html
    assert "Yes, do not share" in html
    assert not Consent.objects.exists()


def test_confirming_the_decline_returns_a_bare_access_denied_with_no_code(
    flow: SimulatorFlow,
) -> None:
    confirmation = flow.post_pending("consent/decline", consent_page(flow))

    response = flow.post_pending("consent/decline/confirm", confirmation)

    assert response.status_code == 302
    assert redirect_query(response["Location"]) == {"error": "access_denied", "state": "state-123"}
    assert not AuthorizationCode.objects.exists()
    assert not Consent.objects.exists()


def test_going_back_from_the_confirmation_and_sharing_returns_the_code(
    flow: SimulatorFlow,
) -> None:
    confirmation = flow.post_pending("consent/decline", consent_page(flow))

    again = flow.post_pending("consent/review", confirmation)
    assert is_consent_page(again)
    response = flow.post_pending("consent/share", again)

    assert "code" in redirect_query(response["Location"])
    assert Consent.objects.exists()


def test_after_a_decline_the_next_sign_in_asks_again(flow: SimulatorFlow) -> None:
    confirmation = flow.post_pending("consent/decline", consent_page(flow))
    flow.post_pending("consent/decline/confirm", confirmation)

    # The NHS login session remains: the retry goes straight to the consent screen.
    assert is_consent_page(flow.authorize(state="retry"))


@pytest.mark.parametrize("path", ["share", "decline", "decline/confirm", "review"])
def test_a_tampered_pending_sign_in_is_refused(flow: SimulatorFlow, path: str) -> None:
    page = consent_page(flow)

    response = flow.browser.post(
        f"{AUTHORIZE}/consent/{path}",
        {
            "request": hidden_field(text(page), "request"),
            "pending": hidden_field(text(page), "pending")[:-3] + "abc",
        },
    )

    assert response.status_code == 400
    assert "expired or was changed" in text(response)
    assert not AuthorizationCode.objects.exists()
    assert not Consent.objects.exists()
