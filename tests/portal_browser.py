"""A scripted browser for sign-in journeys over real HTTP (requests keeps the cookies).

It presses the portal's NHS login button, answers the simulator's sign-in page (and its consent
screen, as NHS login's "Sharing a user's NHS login information with your service" page
describes: share by default, or decline, or decline and then change one's mind), and follows
redirects one by one so tests can see each hop.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

from tests.security.secrets_in_logs import secret_register

TIMEOUT = 30
# What the patient does on the simulator's consent screen: share; decline and confirm; decline,
# go back from the confirmation and share after all; or nothing (the screen is returned).
Consent = Literal["share", "decline", "change-mind", "leave"]
CONSENT_SHARE = "/authorize/consent/share"
CONSENT_DECLINE = "/authorize/consent/decline"
CONSENT_DECLINE_CONFIRM = "/authorize/consent/decline/confirm"
CONSENT_REVIEW = "/authorize/consent/review"


def form_field(html: str, action_contains: str, name: str) -> str:
    for form in re.finditer(r'<form action="([^"]+)"[^>]*>(.*?)</form>', html, re.S):
        if action_contains in form.group(1):
            found = re.search(rf'name="{name}" value="([^"]*)"', form.group(2))
            if found:
                return found.group(1).replace("&amp;", "&")
    raise AssertionError(f"no form posting to {action_contains} with a {name} field")


def _register_code(answer: requests.Response) -> None:
    """The authorization code NHS login hands the browser must never be logged."""
    code = parse_qs(urlsplit(answer.headers.get("Location", "")).query).get("code")
    if code:
        secret_register(code[0])


# Every browser's connections, so that the end of each test can close them (conftest.py).
_open_sessions: weakref.WeakSet[requests.Session] = weakref.WeakSet()


def portal_browsers_close() -> None:
    """Close every scripted browser's kept-alive connections. Until a browser's connection
    closes, the live server's thread serving it keeps its database connection open, and so
    does the thread serving the portal's own call to the simulator behind it."""
    for session in list(_open_sessions):
        session.close()


@dataclass
class PortalBrowser:
    base_url: str
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        _open_sessions.add(self.session)

    def get(self, path_or_url: str) -> requests.Response:
        return self.session.get(
            urljoin(self.base_url, path_or_url), timeout=TIMEOUT, allow_redirects=False
        )

    def follow(self, response: requests.Response) -> requests.Response:
        """Follow redirects one at a time to the first page that is not a redirect."""
        for _ in range(10):
            if response.status_code not in (301, 302, 303):
                return response
            response = self.get(urljoin(response.url, response.headers["Location"]))
        raise AssertionError("more than 10 redirects: a loop?")

    def press_nhs_login_button(
        self, page: str = "/", *, action: str = "/auth/nhs-login/start/"
    ) -> requests.Response:
        """Post the form with NHS login's button on the given page; returns the redirect."""
        html = self.get(page).text
        token = form_field(html, action, "csrfmiddlewaretoken")
        form_action = re.search(rf'<form action="([^"]*{re.escape(action)}[^"]*)"', html)
        assert form_action, f"no NHS login form on {page}"
        return self.session.post(
            urljoin(self.base_url, form_action.group(1).replace("&amp;", "&")),
            data={"csrfmiddlewaretoken": token},
            headers={"Referer": urljoin(self.base_url, page)},
            timeout=TIMEOUT,
            allow_redirects=False,
        )

    def _post_form(
        self, page: requests.Response, action: str, fields: tuple[str, ...]
    ) -> requests.Response:
        """Post the page's form whose action ends with ``action``, with its hidden fields."""
        form = re.search(
            rf'<form action="([^"]*{re.escape(action)})"[^>]*>(.*?)</form>', page.text, re.S
        )
        assert form, f"no form posting to {action} on {page.url}"
        data = {}
        for name in fields:
            found = re.search(rf'name="{name}" value="([^"]*)"', form.group(2))
            assert found, f"the form posting to {action} has no {name} field"
            data[name] = found.group(1).replace("&amp;", "&")
        answer = self.session.post(
            urljoin(page.url, form.group(1)),
            data=data,
            timeout=TIMEOUT,
            allow_redirects=False,
        )
        _register_code(answer)
        return answer

    def answer_consent(
        self, page: requests.Response, *, consent: Consent = "share"
    ) -> requests.Response:
        """Answer the simulator's consent screen if this is one; anything else is returned as
        it is. "decline" confirms on the "are you sure" screen; "change-mind" goes back from
        it and shares."""
        if consent == "leave" or not is_consent_screen(page):
            return page
        fields = ("csrfmiddlewaretoken", "request", "pending")
        if consent == "share":
            return self._post_form(page, CONSENT_SHARE, fields)
        confirmation = self._post_form(page, CONSENT_DECLINE, fields)
        assert confirmation.status_code == 200, confirmation.text
        if consent == "decline":
            return self._post_form(confirmation, CONSENT_DECLINE_CONFIRM, fields)
        consent_again = self._post_form(confirmation, CONSENT_REVIEW, fields)
        assert is_consent_screen(consent_again), consent_again.text
        return self._post_form(consent_again, CONSENT_SHARE, fields)

    def answer_simulator(
        self,
        sign_in_page: requests.Response,
        *,
        user: str,
        outcome: str = "success",
        fault: str = "",
        consent: Consent = "share",
    ) -> requests.Response:
        """Pick a test user on the simulator's page and answer its consent screen if it shows
        one; returns the redirect to the portal (or the step-up page)."""
        html = sign_in_page.text
        answer = self.session.post(
            urljoin(sign_in_page.url, "/nhs-login-simulator/authorize/test-user"),
            data={
                "csrfmiddlewaretoken": form_field(html, "test-user", "csrfmiddlewaretoken"),
                "request": form_field(html, "test-user", "request"),
                "user": user,
                "outcome": outcome,
                "fault": fault,
            },
            timeout=TIMEOUT,
            allow_redirects=False,
        )
        _register_code(answer)
        return self.answer_consent(answer, consent=consent)

    def confirm_step_up(
        self, step_up_page: requests.Response, *, consent: Consent = "share"
    ) -> requests.Response:
        """Finish "prove who you are"; the new level needs the patient's consent again."""
        answer = self._post_form(
            step_up_page, "prove-who-you-are", ("csrfmiddlewaretoken", "request", "pending")
        )
        return self.answer_consent(answer, consent=consent)

    def sign_in(
        self,
        *,
        user: str = "p9-demo-practice",
        outcome: str = "success",
        fault: str = "",
        consent: Consent = "share",
    ) -> requests.Response:
        """The whole journey from the start page; returns the portal's final page."""
        sign_in_page = self.get(self.press_nhs_login_button().headers["Location"])
        assert sign_in_page.status_code == 200, (
            "no sign-in page: this browser is signed in to the simulator already; use a new one"
        )
        callback = self.answer_simulator(
            sign_in_page, user=user, outcome=outcome, fault=fault, consent=consent
        )
        return self.follow(callback)


def is_consent_screen(page: requests.Response) -> bool:
    """The simulator's "share your information" screen, which NHS login shows on a first
    sign-in to a service, at a new level of verification, or when the service asks for more."""
    return page.status_code == 200 and CONSENT_SHARE in page.text
