"""What the portal records about each sign-in it starts, and the inputs it accepts for one."""

from __future__ import annotations

import time

import pytest
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.test import RequestFactory

from accounts.sign_in_flow import (
    ASSERTED_LOGIN_IDENTITY_MAX_LENGTH,
    SESSION_KEY,
    SignInFlow,
    asserted_login_identity_accept,
    sign_in_flow_completed,
    sign_in_flow_completed_next,
    sign_in_flow_remember,
    sign_in_flow_take,
    sign_in_next_safe,
)


def test_a_flow_comes_back_as_it_was_recorded_and_only_once() -> None:
    session = SessionStore()
    flow = SignInFlow(
        vtr=("P9.Cp.Cd",),
        step_up=True,
        started_at=time.time(),
        prompt="none",
        from_nhs_app=True,
        next_url="/home/linkage-details/",
    )
    sign_in_flow_remember(session, state="state-1", flow=flow)

    assert sign_in_flow_take(session, state="state-1") == flow
    assert sign_in_flow_take(session, state="state-1") is None


def test_a_flow_recorded_before_prompts_and_next_were_kept_still_reads() -> None:
    session = SessionStore()
    session[SESSION_KEY] = {"old": {"vtr": ["P9.Cm"], "step_up": False, "started_at": 1.0}}

    flow = sign_in_flow_take(session, state="old")

    assert flow == SignInFlow(vtr=("P9.Cm",), step_up=False, started_at=1.0)
    assert (flow.prompt, flow.from_nhs_app, flow.next_url) == ("", False, "")


@pytest.mark.parametrize(
    ("prompt", "retries"),
    [("none", True), ("", False), ("login", False)],
    ids=["none-is-retried", "interactive-is-not", "login-is-not"],
)
def test_only_a_prompt_none_flow_is_retried_interactively(prompt: str, retries: bool) -> None:
    flow = SignInFlow(vtr=(), step_up=False, started_at=0.0, prompt=prompt)

    assert flow.may_retry_interactively is retries


def test_a_completed_sign_in_remembers_where_it_led() -> None:
    session = SessionStore()
    flow = SignInFlow(vtr=(), step_up=True, started_at=0.0, next_url="/home/linkage-details/")

    sign_in_flow_completed(session, state="spent", flow=flow)

    assert sign_in_flow_completed_next(session, state="spent") == "/home/linkage-details/"
    assert sign_in_flow_completed_next(session, state="other") == ""


@pytest.mark.parametrize(
    ("candidate", "kept"),
    [
        pytest.param("/home/linkage-details/?tab=1", True, id="path"),
        pytest.param("https://attacker.example/", False, id="other-site"),
        pytest.param("//attacker.example/", False, id="scheme-relative"),
        pytest.param("/\\attacker.example/", False, id="backslash"),
        pytest.param("http://testserver/home/", False, id="absolute-same-host"),
        pytest.param("home/", False, id="relative"),
        pytest.param("javascript:alert(1)", False, id="javascript"),
        pytest.param("", False, id="empty"),
    ],
)
def test_next_is_only_ever_a_path_on_this_portal(candidate: str, kept: bool) -> None:
    request = RequestFactory().get("/")

    assert sign_in_next_safe(request, candidate) == (candidate if kept else "")


JWS = "eyJhbGciOiJSUzUxMiJ9.eyJpc3MiOiJuaHMtYXBwIn0.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("candidate", "accepted"),
    [
        pytest.param(JWS, True, id="compact-jws"),
        pytest.param(
            "a" * (ASSERTED_LOGIN_IDENTITY_MAX_LENGTH - 4) + ".b.c", True, id="at-the-bound"
        ),
        pytest.param(
            "a" * (ASSERTED_LOGIN_IDENTITY_MAX_LENGTH - 3) + ".b.c", False, id="over-the-bound"
        ),
        pytest.param(JWS + ".e.f", False, id="jwe-five-parts"),
        pytest.param(JWS + "\n", False, id="trailing-newline"),
        pytest.param("a.b.c d", False, id="space"),
        pytest.param("a..c", False, id="empty-part"),
        pytest.param("", False, id="empty"),
    ],
)
def test_asserted_login_identity_is_accepted_only_as_a_bounded_compact_jws(
    candidate: str, accepted: bool
) -> None:
    assert asserted_login_identity_accept(candidate) == (candidate if accepted else "")
