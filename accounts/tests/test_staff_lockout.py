"""The admin sign-in locks out per account and, apart, per client address (django-axes,
accounts/staff_lockout.py): the right password is refused too while locked, the address is the
trusted client address, the lockout lifts after its cool-off or when a superuser clears it, and
patients signing in with NHS login are neither counted nor locked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth import SESSION_KEY, authenticate
from django.test import Client, RequestFactory, override_settings
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import User
from accounts.tests.factories import UserFactory
from tests.security.test_outages import REDIS_UNREACHABLE

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-staff-password-1"
WRONG = "not-the-password-at-all"
LOGIN = "/admin/login/"
# 14:20 in London, in December: the lockout page's times are the staff member's local time.
NOW = datetime(2026, 12, 1, 14, 20, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def reception(db: None) -> User:
    user = UserFactory.create(username="reception-a12345", is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(
    client: Client, username: str, password: str, address: str = "192.0.2.10", **headers: str
) -> Any:
    response = client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, headers=headers
    )
    return response


def page_text(response: Any) -> str:
    """The page's words, without its markup."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def test_thirty_wrong_passwords_then_the_right_one_is_refused(reception: User) -> None:
    browser = Client()

    wrong = [sign_in(browser, "reception-a12345", WRONG).status_code for _ in range(30)]
    right = sign_in(browser, "reception-a12345", PASSWORD)

    assert wrong == [200] * 4 + [429] * 26
    assert right.status_code == 429
    assert "Signing in is paused" in right.content.decode()
    assert not signed_in(browser)


def test_the_defaults_are_five_per_account_twenty_per_address_fifteen_minutes(
    settings: SettingsWrapper,
) -> None:
    assert settings.ADMIN_LOCKOUT_FAILURES_PER_ACCOUNT == 5
    assert settings.ADMIN_LOCKOUT_FAILURES_PER_ADDRESS == 20
    assert timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username", "ip_address"]


def test_an_account_is_locked_whichever_address_the_tries_come_from(reception: User) -> None:
    for host in range(1, 6):
        sign_in(Client(), "reception-a12345", WRONG, address=f"198.51.100.{host}")

    from_a_new_address = Client()
    response = sign_in(from_a_new_address, "reception-a12345", PASSWORD, address="203.0.113.50")

    assert response.status_code == 429
    assert not signed_in(from_a_new_address)


def test_an_address_is_locked_whichever_accounts_it_tries(reception: User) -> None:
    for number in range(20):  # one wrong password each for 20 usernames: under 5 per account
        sign_in(Client(), f"guess-{number}", WRONG, address="198.51.100.66")

    same_address, other_address = Client(), Client()
    refused = sign_in(same_address, "reception-a12345", PASSWORD, address="198.51.100.66")
    allowed = sign_in(other_address, "reception-a12345", PASSWORD, address="198.51.100.67")

    assert refused.status_code == 429
    assert not signed_in(same_address)
    assert allowed.status_code == 302
    assert signed_in(other_address)


def test_a_practice_sharing_an_address_survives_a_few_mistyped_passwords(
    reception: User,
) -> None:
    """Four colleagues behind one address mistype theirs four times each: 16, under 20."""
    for colleague in range(4):
        for _ in range(4):
            sign_in(Client(), f"colleague-{colleague}", WRONG, address="198.51.100.80")

    browser = Client()

    assert (
        sign_in(browser, "reception-a12345", PASSWORD, address="198.51.100.80").status_code == 302
    )
    assert signed_in(browser)


@pytest.fixture
def behind_the_load_balancer(settings: SettingsWrapper) -> str:
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    return "10.0.0.5"


def test_the_address_counted_is_the_trusted_client_address(
    reception: User, behind_the_load_balancer: str
) -> None:
    sign_in(
        Client(),
        "reception-a12345",
        WRONG,
        address=behind_the_load_balancer,
        # The client wrote the first hop; the load balancer appended the second.
        x_forwarded_for="198.51.100.7, 203.0.113.9",
    )
    sign_in(Client(), "other", WRONG, address="203.0.113.77", x_forwarded_for="198.51.100.7")

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {
        "203.0.113.9",  # the hop the trusted proxy saw, not the load balancer nor the forgery
        "203.0.113.77",  # an untrusted REMOTE_ADDR: its header is ignored
    }


def test_a_forged_x_forwarded_for_does_not_let_an_address_escape_its_lockout(
    reception: User, behind_the_load_balancer: str
) -> None:
    for number in range(20):
        sign_in(
            Client(),
            f"guess-{number}",
            WRONG,
            address=behind_the_load_balancer,
            x_forwarded_for=f"198.18.0.{number}, 203.0.113.9",
        )

    browser = Client()
    response = sign_in(
        browser,
        "reception-a12345",
        PASSWORD,
        address=behind_the_load_balancer,
        x_forwarded_for="198.18.1.1, 203.0.113.9",
    )

    assert response.status_code == 429
    assert not signed_in(browser)


def test_a_forged_x_forwarded_for_cannot_lock_someone_else_out(
    reception: User, behind_the_load_balancer: str
) -> None:
    victim = "198.51.100.7"
    for number in range(25):  # straight at the app servers, claiming to be the victim
        sign_in(Client(), f"guess-{number}", WRONG, address="203.0.113.66", x_forwarded_for=victim)

    browser = Client()
    response = sign_in(
        browser,
        "reception-a12345",
        PASSWORD,
        address=behind_the_load_balancer,
        x_forwarded_for=victim,
    )

    assert response.status_code == 302
    assert signed_in(browser)


def test_an_ipv6_client_is_counted_by_its_64(reception: User) -> None:
    for host in range(20):
        sign_in(Client(), f"guess-{host}", WRONG, address=f"2001:db8:1:2::{host + 1:x}")

    same_64, next_64 = Client(), Client()

    assert (
        sign_in(same_64, "reception-a12345", PASSWORD, address="2001:db8:1:2::ff").status_code
        == 429
    )
    assert (
        sign_in(next_64, "reception-a12345", PASSWORD, address="2001:db8:1:3::1").status_code == 302
    )


def test_the_lockout_lifts_fifteen_minutes_after_the_last_failure(
    reception: User, clock: time_machine.Traveller
) -> None:
    for _ in range(5):
        sign_in(Client(), "reception-a12345", WRONG)

    clock.shift(timedelta(minutes=14, seconds=59))
    still_locked = sign_in(Client(), "reception-a12345", PASSWORD)
    clock.shift(timedelta(seconds=2))
    browser = Client()
    lifted = sign_in(browser, "reception-a12345", PASSWORD)

    assert still_locked.status_code == 429
    assert lifted.status_code == 302
    assert signed_in(browser)


def test_the_lockout_page_says_what_happened_when_to_try_again_and_whom_to_ask(
    reception: User, settings: SettingsWrapper, clock: time_machine.Traveller
) -> None:
    settings.ADMIN_SERVICE_DESK = "the Example IT service desk on 0300 000 0000"
    for _ in range(4):
        sign_in(Client(), "reception-a12345", WRONG)
    clock.shift(timedelta(minutes=3))  # the last failure at 14:23
    page = sign_in(Client(), "reception-a12345", WRONG)
    html, text = page.content.decode(), page_text(page)

    assert page.status_code == 429
    assert page["Retry-After"] == str(15 * 60)
    assert "<h1>Signing in is paused</h1>" in html
    assert "too many unsuccessful attempts to sign in" in text
    assert "refused, even with the right password" in text
    assert "You can try again after 2:38pm" in text
    assert "ask your practice's administrator" in text
    assert "the Example IT service desk on 0300 000 0000" in text
    assert "Citizen portal: practice administration" in html  # the admin's look
    assert "reception-a12345" not in html


def test_the_lockout_page_is_the_same_whether_the_username_exists_or_not(
    reception: User,
) -> None:
    pages = {}
    for username in ("reception-a12345", "nobody-by-this-name"):
        for _ in range(4):
            sign_in(Client(), username, WRONG, address="198.51.100.1")
        pages[username] = sign_in(Client(), username, WRONG, address="198.51.100.1")

    assert pages["reception-a12345"].status_code == pages["nobody-by-this-name"].status_code == 429
    assert pages["reception-a12345"].content == pages["nobody-by-this-name"].content


def test_tries_while_locked_out_do_not_push_the_time_back(
    reception: User, clock: time_machine.Traveller
) -> None:
    for _ in range(5):
        sign_in(Client(), "reception-a12345", WRONG)
    clock.shift(timedelta(minutes=10))
    later = sign_in(Client(), "reception-a12345", WRONG)

    assert later.status_code == 429
    assert "You can try again after 2:35pm" in page_text(later)
    assert AccessAttempt.objects.get().failures_since_start == 5


def test_a_superuser_sees_and_clears_a_lockout_in_admin(
    reception: User, superuser_client: Client
) -> None:
    for _ in range(5):
        sign_in(Client(), "reception-a12345", WRONG)
    attempt = AccessAttempt.objects.get(username="reception-a12345")

    listing = superuser_client.get("/admin/axes/accessattempt/")
    cleared = superuser_client.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    browser = Client()

    assert listing.status_code == 200
    assert "reception-a12345" in listing.content.decode()
    assert cleared.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert sign_in(browser, "reception-a12345", PASSWORD).status_code == 302
    assert signed_in(browser)


@pytest.mark.parametrize(
    "path", ["/admin/axes/accessattempt/", "/admin/axes/accesslog/", "/admin/accounts/user/"]
)
def test_practice_staff_cannot_see_anyone_s_lockouts_or_sign_ins(
    staff_client: Client, path: str
) -> None:
    for _ in range(5):
        sign_in(Client(), "reception-b23456", WRONG)

    response = staff_client.get(path)

    assert response.status_code == 403
    assert "reception-b23456" not in response.content.decode()


def test_a_staff_member_s_sign_in_is_logged_for_superusers(reception: User) -> None:
    sign_in(Client(), "reception-a12345", PASSWORD, address="198.51.100.9")

    assert list(AccessLog.objects.values_list("username", "ip_address")) == [
        ("reception-a12345", "198.51.100.9")
    ]


def test_with_redis_down_a_locked_account_stays_locked(reception: User) -> None:
    """The lockout is kept in the database, not the cache: an outage of Redis neither forgets
    it nor stops failures being counted (docs/adr/0011)."""
    for _ in range(4):
        sign_in(Client(), "reception-a12345", WRONG)

    browser = Client()
    with override_settings(
        CACHES=REDIS_UNREACHABLE, SESSION_ENGINE="django.contrib.sessions.backends.db"
    ):
        fifth = sign_in(browser, "reception-a12345", WRONG)
        right = sign_in(browser, "reception-a12345", PASSWORD)

    assert fifth.status_code == right.status_code == 429
    assert not signed_in(browser)


def _nhs_login_callback_request(address: str) -> Any:
    request = RequestFactory().get(
        "/auth/nhs-login/callback/",
        {"code": "an-authorization-code", "state": "a-state"},
        REMOTE_ADDR=address,
    )
    request.session = Client().session
    return request


def test_a_failed_nhs_login_callback_is_neither_counted_nor_stored(db: None) -> None:
    """Django signals every failed authenticate(); a patient's is not an admin sign-in, and
    its query string (the authorization code) is never written down."""
    for _ in range(30):
        assert authenticate(_nhs_login_callback_request("198.51.100.20"), nonce="n") is None

    assert not AccessAttempt.objects.exists()
