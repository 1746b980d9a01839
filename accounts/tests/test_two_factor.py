"""Staff pass a second factor, a TOTP code from an authenticator app, before the admin serves
them anything (accounts/admin_site.py): set it up at the first sign-in, enter a code at each
one after; wrong codes refused and throttled; superusers reset a lost device."""

from __future__ import annotations

import re
from base64 import b32decode
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import User
from accounts.tests.factories import UserFactory
from linkage.audit import AuditAction
from linkage.models import AuditEvent, LinkageKey, Practice, PracticeStaff
from linkage.tests.factories import LinkageKeyFactory, RegisteredPatientFactory
from tests.support import THIS_PRACTICE, totp_code, two_factor_passed

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-staff-password-1"
VERIFY = "/admin/two-factor/"
SET_UP = "/admin/two-factor/set-up/"


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    """Codes depend on the clock: each test on a clock of its own, stopped."""
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, 10, tzinfo=UTC), tick=False) as clock:
        yield clock


@pytest.fixture
def reception(this_practice: Practice) -> User:
    user = UserFactory.create(username="manager-a12345", is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    PracticeStaff.objects.create(user=user, practice=this_practice)
    return user


@pytest.fixture
def linkage_key(this_practice: Practice) -> LinkageKey:
    key: LinkageKey = LinkageKeyFactory.create(
        patient=RegisteredPatientFactory.create(practice=this_practice, nhs_number="9990000018")
    )
    return key


def password_signed_in(user: User) -> Client:
    """Signed in with the right password through the admin's sign-in page, nothing more."""
    client = Client()
    response = client.post("/admin/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def page_text(response: Any) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def verified(client: Client) -> bool:
    return DEVICE_ID_SESSION_KEY in client.session


def test_the_second_factor_is_required_in_the_tests_as_in_production() -> None:
    assert settings.ADMIN_TWO_FACTOR_REQUIRED is True
    assert settings.OTP_TOTP_THROTTLE_FACTOR == 1


def _admin_urls(key: LinkageKey) -> list[str]:
    return [
        "/admin/",
        "/admin/linkage/",
        "/admin/linkage/linkagekey/",
        f"/admin/linkage/linkagekey/{key.pk}/change/",
        f"/admin/linkage/linkagekey/{key.pk}/show-key/",
        "/admin/linkage/auditevent/export/",
        "/admin/linkage/registeredpatient/import/",
        "/admin/password_change/",
        "/admin/autocomplete/",
    ]


def test_a_password_alone_reaches_no_admin_page(reception: User, linkage_key: LinkageKey) -> None:
    client = password_signed_in(reception)

    for url in _admin_urls(linkage_key):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{VERIFY}?next="), url
    shown = client.post(f"/admin/linkage/linkagekey/{linkage_key.pk}/show-key/")
    assert shown.status_code == 302
    assert shown["Location"].startswith(VERIFY)
    assert not AuditEvent.objects.filter(action=AuditAction.SHOW_KEY).exists()  # not shown


def test_a_superuser_needs_the_second_factor_too(db: None) -> None:
    operator = UserFactory.create(username="operator", is_staff=True, is_superuser=True)
    operator.set_password(PASSWORD)
    operator.save()
    client = password_signed_in(operator)

    for url in ("/admin/accounts/user/", "/admin/axes/accessattempt/", "/admin/linkage/apiclient/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(VERIFY), url


def test_with_the_second_factor_off_a_password_is_enough(
    reception: User, settings: SettingsWrapper
) -> None:
    settings.ADMIN_TWO_FACTOR_REQUIRED = False
    client = password_signed_in(reception)

    response = client.get("/admin/linkage/linkagekey/")

    assert response.status_code == 200


def test_a_staff_member_without_an_app_sets_one_up_at_first_sign_in(
    reception: User, linkage_key: LinkageKey
) -> None:
    client = password_signed_in(reception)

    to_verify = client.get("/admin/linkage/linkagekey/")
    to_set_up = client.get(to_verify["Location"])
    page = client.get(to_set_up["Location"])
    key = re.search(r'<code class="app-totp-key" id="totp-key">([A-Z2-7 ]+)</code>', page.text)
    assert key is not None
    # The app is set up from the key shown: its codes are made from that key alone.
    app = TOTP(b32decode(key.group(1).replace(" ", "")))
    confirmed = client.post(
        to_set_up["Location"],
        {"otp_token": f"{app.token():06d}", "next": "/admin/linkage/linkagekey/"},
    )
    listing = client.get(confirmed["Location"])

    assert to_set_up["Location"] == f"{SET_UP}?next=/admin/linkage/linkagekey/"
    assert page.status_code == 200
    assert "<h1>Set up your authenticator app</h1>" in page.text
    assert "<svg" in page.text
    assert "<title>QR code of the key for your authenticator app</title>" in page.text
    assert "no-store" in page["Cache-Control"]
    assert confirmed.status_code == 302
    assert confirmed["Location"] == "/admin/linkage/linkagekey/"
    assert listing.status_code == 200
    assert "Your authenticator app is set up" in listing.text
    assert verified(client)
    device = TOTPDevice.objects.get(user=reception)
    assert device.confirmed


def test_the_set_up_page_shows_the_same_key_until_it_is_confirmed(reception: User) -> None:
    client = password_signed_in(reception)

    first = client.get(SET_UP).text
    again = client.get(SET_UP).text

    key = re.compile(r'id="totp-key">([A-Z2-7 ]+)<')
    assert key.search(first).group(1) == key.search(again).group(1)  # type: ignore[union-attr]
    assert TOTPDevice.objects.filter(user=reception, confirmed=False).count() == 1


def test_a_key_set_up_in_another_browser_is_never_the_one_confirmed(reception: User) -> None:
    """Someone else with the password opens the set-up page first: their key is dropped when
    the staff member opens theirs, and cannot then be confirmed."""
    intruder, staff = password_signed_in(reception), password_signed_in(reception)
    intruder.get(SET_UP)
    intruders_device = TOTPDevice.objects.get(user=reception)

    staff.get(SET_UP)
    staffs_device = TOTPDevice.objects.get(user=reception)
    refused = intruder.post(SET_UP, {"otp_token": totp_code(intruders_device)})

    assert staffs_device.pk != intruders_device.pk
    assert staffs_device.key != intruders_device.key
    assert refused.status_code == 200
    assert not verified(intruder)
    assert not TOTPDevice.objects.filter(confirmed=True).exists()


def test_a_staff_member_with_an_app_enters_its_code(reception: User) -> None:
    device = TOTPDevice.objects.create(user=reception, name="App", confirmed=True)
    client = password_signed_in(reception)

    to_verify = client.get("/admin/")
    page = client.get(to_verify["Location"])
    no_second_app = client.get(SET_UP)
    accepted = client.post(VERIFY, {"otp_token": totp_code(device), "next": "/admin/"})
    index = client.get("/admin/")

    assert page.status_code == 200
    assert "<h1>Enter your security code</h1>" in page.text
    assert no_second_app["Location"].startswith(VERIFY)  # one app each: a code, not a new app
    assert accepted.status_code == 302
    assert accepted["Location"] == "/admin/"
    assert index.status_code == 200
    assert "Your practices" in index.text


def test_the_code_field_is_labelled_and_asks_for_a_one_time_code(reception: User) -> None:
    TOTPDevice.objects.create(user=reception, name="App", confirmed=True)
    html = password_signed_in(reception).get(VERIFY).text

    field = re.search(r"<input[^>]*name=\"otp_token\"[^>]*>", html)
    assert field is not None
    assert 'autocomplete="one-time-code"' in field.group(0)
    assert 'inputmode="numeric"' in field.group(0)
    assert 'id="id_otp_token"' in field.group(0)
    assert '<label for="id_otp_token"' in html
    assert 'aria-describedby="id_otp_token_helptext"' in field.group(0)


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        pytest.param("", "Enter the 6-digit code from your authenticator app", id="empty"),
        pytest.param("12345", "Enter the 6 digits your authenticator app shows", id="too-short"),
        pytest.param("12a456", "Enter the 6 digits your authenticator app shows", id="letters"),
        pytest.param("000000", "That code is not right, or has been used already", id="wrong"),
    ],
)
def test_a_code_not_accepted_says_why(reception: User, typed: str, error: str) -> None:
    device = TOTPDevice.objects.create(user=reception, name="App", confirmed=True)
    if typed == "000000" and totp_code(device) == "000000":
        typed = "111111"
    client = password_signed_in(reception)

    response = client.post(VERIFY, {"otp_token": typed})

    assert response.status_code == 200
    assert error in page_text(response)
    assert "The code was not accepted" in response.text
    assert 'aria-invalid="true"' in response.text
    assert response.text.startswith("<!DOCTYPE html>")
    assert "<title>Error: Enter your security code" in response.text
    assert not verified(client)
    assert client.get("/admin/").status_code == 302


def test_a_code_with_spaces_as_apps_show_it_is_accepted(reception: User) -> None:
    device = TOTPDevice.objects.create(user=reception, name="App", confirmed=True)
    client = password_signed_in(reception)
    code = totp_code(device)

    client.post(VERIFY, {"otp_token": f"{code[:3]} {code[3:]}"})

    assert verified(client)


def test_a_code_is_accepted_once(reception: User) -> None:
    device = TOTPDevice.objects.create(user=reception, name="App", confirmed=True)
    first, second = password_signed_in(reception), password_signed_in(reception)
    code = totp_code(device)

    first.post(VERIFY, {"otp_token": code})
    replayed = second.post(VERIFY, {"otp_token": code})

    assert verified(first)
    assert not verified(second)
    assert "has been used already" in page_text(replayed)


def test_wrong_codes_are_throttled_each_doubling_the_wait(
    reception: User, clock: time_machine.Traveller
) -> None:
    device = TOTPDevice.objects.create(user=reception, name="App", confirmed=True)
    client = password_signed_in(reception)
    right = totp_code(device)
    wrong = "111111" if right != "111111" else "222222"

    client.post(VERIFY, {"otp_token": wrong})  # 9:00:10, then 1 s to wait
    at_once = client.post(VERIFY, {"otp_token": right})
    clock.shift(timedelta(seconds=1))
    client.post(VERIFY, {"otp_token": wrong})  # 9:00:11, then 2 s to wait
    clock.shift(timedelta(seconds=1))
    a_second_later = client.post(VERIFY, {"otp_token": right})
    device.refresh_from_db()
    failures_while_throttled = device.throttling_failure_count
    clock.shift(timedelta(seconds=1))
    accepted = client.post(VERIFY, {"otp_token": right})

    assert "Too many wrong codes. Wait until 9:00am (1 second), then try again" in page_text(
        at_once
    )
    assert "Wait until 9:00am (1 second)" in page_text(a_second_later)
    assert failures_while_throttled == 2  # a try while throttled is not checked
    assert accepted.status_code == 302
    assert verified(client)
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_the_set_up_code_is_throttled_too(reception: User, clock: time_machine.Traveller) -> None:
    client = password_signed_in(reception)
    client.get(SET_UP)
    device = TOTPDevice.objects.get(user=reception)
    wrong = "111111" if totp_code(device) != "111111" else "222222"

    client.post(SET_UP, {"otp_token": wrong})
    throttled = client.post(SET_UP, {"otp_token": totp_code(device)})

    assert "Too many wrong codes" in page_text(throttled)
    assert not TOTPDevice.objects.filter(confirmed=True).exists()


def test_where_to_go_after_the_code_is_a_path_on_this_site(reception: User) -> None:
    device = TOTPDevice.objects.create(user=reception, name="App", confirmed=True)
    client = password_signed_in(reception)

    response = client.post(
        VERIFY, {"otp_token": totp_code(device), "next": "https://attacker.example/admin/"}
    )

    assert response["Location"] == "/admin/"


def test_a_staff_member_still_to_enter_a_code_can_sign_out(reception: User) -> None:
    TOTPDevice.objects.create(user=reception, name="App", confirmed=True)
    client = password_signed_in(reception)

    page = client.get(VERIFY).text
    response = client.post("/admin/logout/")

    assert 'action="/admin/logout/"' in page
    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_the_second_factor_pages_send_the_signed_out_to_sign_in(client: Client) -> None:
    for url in (VERIFY, SET_UP):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=")


def test_patients_are_not_asked_for_a_code(patient_client: Client) -> None:
    response = patient_client.get(VERIFY)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert not TOTPDevice.objects.exists()


def test_a_superuser_resets_a_staff_members_app(reception: User, superuser_client: Client) -> None:
    staff = Client()
    staff.force_login(reception, backend="django.contrib.auth.backends.ModelBackend")
    two_factor_passed(staff, reception)
    assert staff.get("/admin/").status_code == 200

    users = superuser_client.get("/admin/accounts/user/")
    reset = superuser_client.post(
        "/admin/accounts/user/",
        {"action": "reset_two_factor", "_selected_action": [reception.pk]},
    )
    after = staff.get("/admin/linkage/linkagekey/")

    assert "Reset two-factor sign-in" in users.text
    assert reset.status_code == 302
    assert not TOTPDevice.objects.filter(user=reception).exists()
    assert after.status_code == 302  # the old app's session is verified no longer
    assert staff.get(after["Location"])["Location"].startswith(SET_UP)


def test_practice_staff_cannot_reset_anyone_s_app(staff_client: Client, reception: User) -> None:
    TOTPDevice.objects.create(user=reception, name="App", confirmed=True)

    response = staff_client.post(
        "/admin/accounts/user/",
        {"action": "reset_two_factor", "_selected_action": [reception.pk]},
    )

    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=reception, confirmed=True).exists()


def test_nobody_reads_a_device_key_back_in_admin(superuser_client: Client, reception: User) -> None:
    device = TOTPDevice.objects.create(user=reception, name="App", confirmed=True)

    assert superuser_client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert (
        device.key not in superuser_client.get(f"/admin/accounts/user/{reception.pk}/change/").text
    )


def test_the_practice_data_is_reached_once_the_code_is_entered(
    reception: User, linkage_key: LinkageKey
) -> None:
    device = TOTPDevice.objects.create(user=reception, name="App", confirmed=True)
    client = password_signed_in(reception)
    client.post(VERIFY, {"otp_token": totp_code(device)})

    response = client.get("/admin/linkage/linkagekey/")

    assert response.status_code == 200
    assert linkage_key.account_id in response.text
    assert THIS_PRACTICE in response.text
