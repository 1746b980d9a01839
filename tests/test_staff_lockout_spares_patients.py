"""The admin's sign-in lockout (accounts/staff_lockout.py) is the admin's alone: patients sign
in with NHS login, whose own controls apply, from an address the admin has locked out."""

from __future__ import annotations

import re

import pytest
import requests
from axes.models import AccessAttempt, AccessLog

from tests.portal_browser import PortalBrowser
from tests.support import NhsLoginLive

WRONG = "not-the-password-at-all"


def admin_sign_in(base_url: str, username: str, password: str) -> requests.Response:
    with requests.Session() as browser:
        form = browser.get(f"{base_url}/admin/login/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        assert token is not None
        return browser.post(
            f"{base_url}/admin/login/",
            {"csrfmiddlewaretoken": token.group(1), "username": username, "password": password},
            headers={"Referer": f"{base_url}/admin/login/"},
            allow_redirects=False,
            timeout=10,
        )


@pytest.mark.django_db(transaction=True)
def test_a_patient_signs_in_with_nhs_login_from_an_address_locked_for_the_admin(
    nhs_login_live: NhsLoginLive,
) -> None:
    """Over real HTTP, from 127.0.0.1 once it is locked out of the admin: NHS login's sign-in
    is not the admin's, and writes nothing to the lockout's records."""
    tries = [admin_sign_in(nhs_login_live.base_url, f"guess-{n}", WRONG) for n in range(21)]
    before = list(AccessAttempt.objects.values_list("username", "ip_address"))

    home = PortalBrowser(nhs_login_live.base_url).sign_in(user="p9-demo-practice")

    assert tries[-1].status_code == 429  # the address is locked out of the admin
    assert home.status_code == 200
    assert "Your details" in home.text
    assert list(AccessAttempt.objects.values_list("username", "ip_address")) == before
    assert not AccessLog.objects.exists()
