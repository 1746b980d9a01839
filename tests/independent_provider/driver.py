"""A scripted browser for the portal and the independent provider's pages, over real HTTP.

requests keeps each site's cookies; redirects are followed one at a time and every address
visited is kept in ``visited``, so a test can look at the hop that brought the browser back to
the portal (the callback's query) as well as at the page it ended on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

from tests.security.secrets_in_logs import secret_register

TIMEOUT = 30
REDIRECTS = (301, 302, 303, 307)

IdentityCheck = Literal["continue", "cancel"]
Consent = Literal["share", "decline"]


def _form(html: str, action_contains: str) -> tuple[str, str]:
    """The action and inner HTML of the first form whose action contains the given text."""
    for form in re.finditer(r'<form [^>]*action="([^"]+)"[^>]*>(.*?)</form>', html, re.S):
        if action_contains in form.group(1):
            return form.group(1).replace("&amp;", "&"), form.group(2)
    raise AssertionError(f"no form posting to {action_contains}")


def _hidden_fields(form_html: str) -> dict[str, str]:
    return {
        name: value.replace("&amp;", "&")
        for name, value in re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form_html
        )
    }


@dataclass
class ProviderBrowser:
    portal_url: str
    session: requests.Session = field(default_factory=requests.Session)
    visited: list[str] = field(default_factory=list)

    def get(self, path_or_url: str) -> requests.Response:
        url = urljoin(self.portal_url, path_or_url)
        self.visited.append(url)
        return self.session.get(url, timeout=TIMEOUT, allow_redirects=False)

    def post(self, url: str, data: dict[str, str], *, referer: str = "") -> requests.Response:
        self.visited.append(url)
        headers = {"Referer": referer} if referer else {}
        answer = self.session.post(
            url, data=data, headers=headers, timeout=TIMEOUT, allow_redirects=False
        )
        return answer

    def follow(self, response: requests.Response, *, stop_at: str = "") -> requests.Response:
        """Follow redirects to the first page that is not one, or to the first redirect whose
        target starts with ``stop_at`` (a redirect URI nobody listens on). An authorization
        code seen on the way is registered as a secret: it must never reach a log."""
        for _ in range(12):
            if response.status_code not in REDIRECTS:
                return response
            target = urljoin(response.url, response.headers["Location"])
            code = parse_qs(urlsplit(target).query).get("code")
            if code:
                secret_register(code[0])
            if stop_at and target.startswith(stop_at):
                return response
            response = self.get(target)
        raise AssertionError("more than 12 redirects: a loop?")

    def press_nhs_login_button(self, page: str = "/") -> requests.Response:
        """Post the portal's NHS login form on the given page and follow to the provider's
        first page."""
        html = self.get(page).text
        action, form_html = _form(html, "/auth/nhs-login/start/")
        answer = self.post(
            urljoin(self.portal_url, action),
            _hidden_fields(form_html),
            referer=urljoin(self.portal_url, page),
        )
        assert answer.status_code == 302, f"the portal did not send the browser on: {answer}"
        return self.follow(answer)

    def _answer(
        self, page: requests.Response, step: str, data: dict[str, str], stop_at: str
    ) -> requests.Response:
        assert page.status_code == 200, f"{page.url} answered {page.status_code}: {page.text}"
        action, form_html = _form(page.text, f"/{step}")
        answer = self.post(urljoin(page.url, action), {**_hidden_fields(form_html), **data})
        return self.follow(answer, stop_at=stop_at)

    def choose_user(
        self, sign_in_page: requests.Response, user: str, *, stop_at: str = ""
    ) -> requests.Response:
        """Pick a test user on the provider's sign-in page."""
        assert "Sign in with a test user" in sign_in_page.text, sign_in_page.text
        return self._answer(sign_in_page, "login", {"user": user}, stop_at)

    def answer_identity_check(
        self, page: requests.Response, decision: IdentityCheck, *, stop_at: str = ""
    ) -> requests.Response:
        """Prove who you are (P5 to P9), or give up."""
        assert "Prove who you are" in page.text, page.text
        return self._answer(page, "identity-check", {"decision": decision}, stop_at)

    def answer_consent(
        self, page: requests.Response, decision: Consent, *, stop_at: str = ""
    ) -> requests.Response:
        """Share the information the service asked for, or do not."""
        assert "Share your NHS login information" in page.text, page.text
        return self._answer(page, "consent", {"decision": decision}, stop_at)

    def sign_in(self, user: str) -> requests.Response:
        """From the portal's start page to the page it shows once the patient has shared."""
        sign_in_page = self.press_nhs_login_button()
        return self.answer_consent(self.choose_user(sign_in_page, user), "share")

    def callback_query(self) -> dict[str, list[str]]:
        """The query of the last visit to the portal's callback: what the provider sent back."""
        callbacks = [url for url in self.visited if "/auth/nhs-login/callback/" in url]
        assert callbacks, "the browser never came back to the portal's callback"
        return parse_qs(urlsplit(callbacks[-1]).query)
