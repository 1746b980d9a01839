"""A scripted browser for sign-in journeys over real HTTP (requests keeps the cookies).

It presses the portal's NHS login button, answers the simulator's sign-in page, and follows
redirects one by one so tests can see each hop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

from tests.security.secrets_in_logs import secret_register

TIMEOUT = 30


def form_field(html: str, action_contains: str, name: str) -> str:
    for form in re.finditer(r'<form action="([^"]+)"[^>]*>(.*?)</form>', html, re.S):
        if action_contains in form.group(1):
            found = re.search(rf'name="{name}" value="([^"]*)"', form.group(2))
            if found:
                return found.group(1).replace("&amp;", "&")
    raise AssertionError(f"no form posting to {action_contains} with a {name} field")


def _register_code(answer: requests.Response) -> None:
    """The authorization code NHS login hands the browser must never be logged (issue 10)."""
    code = parse_qs(urlsplit(answer.headers.get("Location", "")).query).get("code")
    if code:
        secret_register(code[0])


@dataclass
class PortalBrowser:
    base_url: str
    session: requests.Session = field(default_factory=requests.Session)

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

    def answer_simulator(
        self,
        sign_in_page: requests.Response,
        *,
        user: str,
        outcome: str = "success",
        fault: str = "",
    ) -> requests.Response:
        """Pick a test user on the simulator's page; returns its redirect (or step-up page)."""
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
        return answer

    def confirm_step_up(self, step_up_page: requests.Response) -> requests.Response:
        html = step_up_page.text
        answer = self.session.post(
            urljoin(step_up_page.url, "/nhs-login-simulator/authorize/prove-who-you-are"),
            data={
                "csrfmiddlewaretoken": form_field(html, "prove-who-you-are", "csrfmiddlewaretoken"),
                "request": form_field(html, "prove-who-you-are", "request"),
                "pending": form_field(html, "prove-who-you-are", "pending"),
            },
            timeout=TIMEOUT,
            allow_redirects=False,
        )
        _register_code(answer)
        return answer

    def sign_in(
        self, *, user: str = "p9-demo-practice", outcome: str = "success", fault: str = ""
    ) -> requests.Response:
        """The whole journey from the start page; returns the portal's final page."""
        sign_in_page = self.get(self.press_nhs_login_button().headers["Location"])
        assert sign_in_page.status_code == 200, (
            "no sign-in page: this browser is signed in to the simulator already; use a new one"
        )
        callback = self.answer_simulator(sign_in_page, user=user, outcome=outcome, fault=fault)
        return self.follow(callback)
