"""Staff revoke or reissue a linkage key from its page in the admin: each with a reason and a
page that says what will happen first, through the audited services, the reissued key shown
once on the patient's letter, and refused to other practices and to staff without the
permission (docs/adr/0024)."""

from __future__ import annotations

import datetime
import re
from html import unescape

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.tests.factories import UserFactory
from linkage.admin.key_permissions import REASON_MAX_LENGTH
from linkage.crypto import linkage_key_decrypt
from linkage.models import AuditEvent, LinkageKey, Practice, PracticeStaff
from linkage.tests.factories import LinkageKeyFactory, RegisteredPatientFactory
from tests.audit_faults import audit_writes_fail
from tests.security.secrets_in_logs import secret_is_registered
from tests.support import staff_signed_in

pytestmark = pytest.mark.django_db

OLD_KEY = "Kp3nV8cT2wJsBqR"  # what LinkageKeyFactory stores


@pytest.fixture
def key(this_practice: Practice) -> LinkageKey:
    patient = RegisteredPatientFactory.create(
        practice=this_practice,
        nhs_number="9990000018",
        given_name="Ava",
        surname="Thompson",
        date_of_birth=datetime.date(1985, 3, 5),
    )
    return LinkageKeyFactory.create(patient=patient, account_id="5100000001")


def _staff(practice: Practice, username: str, *codenames: str) -> Client:
    user = UserFactory.create(username=username, is_staff=True)
    PracticeStaff.objects.create(user=user, practice=practice)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return staff_signed_in(user)


@pytest.fixture
def reader(this_practice: Practice) -> Client:
    """Staff of this practice without any of the key permissions."""
    return _staff(this_practice, "reader-a12345")


def _url(key: LinkageKey, action: str) -> str:
    return f"/admin/linkage/linkagekey/{key.pk}/{action}/"


def _letter(key: LinkageKey) -> str:
    return f"/admin/linkage/registeredpatient/{key.patient_id}/new-key-letter/"


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def _keys() -> list[tuple[int, str, str]]:
    return list(LinkageKey.objects.order_by("pk").values_list("pk", "status", "revoked_reason"))


def test_the_key_s_page_offers_reissue_and_revoke_to_staff_allowed_them(
    staff_client: Client, reader: Client, key: LinkageKey
) -> None:
    page = f"/admin/linkage/linkagekey/{key.pk}/change/"

    allowed = staff_client.get(page).content.decode()
    assert _url(key, "reissue") in allowed
    assert _url(key, "revoke") in allowed
    not_allowed = reader.get(page).content.decode()
    assert _url(key, "reissue") not in not_allowed
    assert _url(key, "revoke") not in not_allowed
    assert _url(key, "show-key") in not_allowed


@pytest.mark.parametrize(
    ("action", "told"),
    [
        ("revoke", "The patient has no key until you issue a new one"),
        ("reissue", "A new key is made, with the same Account ID (5100000001)"),
    ],
)
def test_each_action_says_what_will_happen_and_changes_nothing_until_confirmed(
    staff_client: Client, key: LinkageKey, action: str, told: str
) -> None:
    text = _text(staff_client.get(_url(key, action)).content.decode())

    assert "This key stops working at once. Apps that Ava Thompson connected with it" in text
    assert told in text
    assert "999 000 0018" in text
    assert _keys() == [(key.pk, "active", "")]
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("action", "reason", "error"),
    [
        ("revoke", "", "Enter why the key is being revoked"),
        ("revoke", "   \n ", "Enter why the key is being revoked"),
        ("reissue", "", "Enter why the key is being reissued"),
        ("reissue", "x" * (REASON_MAX_LENGTH + 1), "Keep the reason to 500 characters or fewer"),
    ],
)
def test_a_reason_is_required_and_nothing_changes_without_one(
    staff_client: Client, key: LinkageKey, action: str, reason: str, error: str
) -> None:
    response = staff_client.post(_url(key, action), {"reason": reason})

    assert response.status_code == 200
    assert error in _text(response.content.decode())
    assert 'aria-invalid="true"' in response.content.decode()
    assert _keys() == [(key.pk, "active", "")]
    assert not AuditEvent.objects.exists()


def test_staff_revoke_a_key_from_its_page_with_the_audit_naming_them_and_the_request(
    staff_client: Client, key: LinkageKey
) -> None:
    response = staff_client.post(
        _url(key, "revoke"),
        {"reason": "Thinks someone else knows it"},
        headers={"X-Request-ID": "revoke-at-desk-1"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == f"/admin/linkage/linkagekey/{key.pk}/change/"
    assert "Linkage key for Account ID 5100000001 revoked" in _text(response.content.decode())
    key.refresh_from_db()
    assert (key.status, key.revoked_by, key.revoked_reason) == (
        "revoked",
        "staff:reception-a12345",
        "Thinks someone else knows it",
    )
    assert list(
        AuditEvent.objects.values_list("actor_type", "actor", "action", "outcome", "request_id")
    ) == [("staff", "reception-a12345", "revoke", "SUCCESS", "revoke-at-desk-1")]


def test_staff_reissue_a_key_from_its_page_and_see_the_new_one_once(
    staff_client: Client, key: LinkageKey
) -> None:
    response = staff_client.post(
        _url(key, "reissue"),
        {"reason": "Lost the letter"},
        headers={"X-Request-ID": "reissue-at-desk-1"},
    )

    assert response["Location"] == _letter(key)
    new = LinkageKey.objects.get(status="active")
    new_key = linkage_key_decrypt(new.encrypted_key)
    assert new_key != OLD_KEY
    assert new_key not in response["Location"]
    assert new.account_id == "5100000001"
    assert _keys() == [(key.pk, "revoked", "Lost the letter"), (new.pk, "active", "")]
    assert list(
        AuditEvent.objects.values_list("actor_type", "actor", "action", "outcome", "request_id")
    ) == [("staff", "reception-a12345", "reissue", "SUCCESS", "reissue-at-desk-1")]
    letter = _text(staff_client.get(_letter(key)).content.decode())
    assert new_key in letter
    assert "Your new details for GP online services" in letter
    assert "Your old linkage key no longer works" in letter
    again = _text(staff_client.get(_letter(key)).content.decode())
    assert new_key not in again
    assert "has been shown already" in again
    assert not any(new_key in entry.change_message for entry in LogEntry.objects.all())
    assert secret_is_registered(new_key)  # so the log check looks for it in every record


@pytest.mark.parametrize("action", ["revoke", "reissue"])
def test_staff_of_another_practice_are_refused(
    other_practice_staff_client: Client, key: LinkageKey, action: str
) -> None:
    asked = other_practice_staff_client.get(_url(key, action))
    posted = other_practice_staff_client.post(_url(key, action), {"reason": "malicious"})

    assert (asked.status_code, posted.status_code) == (403, 403)
    assert _keys() == [(key.pk, "active", "")]
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("action", ["revoke", "reissue"])
def test_staff_without_the_permission_are_refused(
    reader: Client, key: LinkageKey, action: str
) -> None:
    assert reader.get(_url(key, action)).status_code == 403
    assert reader.post(_url(key, action), {"reason": "Lost phone"}).status_code == 403
    assert _keys() == [(key.pk, "active", "")]
    assert not AuditEvent.objects.exists()


def test_each_permission_allows_its_own_action_only(
    this_practice: Practice, key: LinkageKey
) -> None:
    revoker = _staff(this_practice, "revoker-a12345", "revoke_linkagekey")

    assert revoker.post(_url(key, "reissue"), {"reason": "Lost"}).status_code == 403
    assert _keys() == [(key.pk, "active", "")]
    revoker.post(_url(key, "revoke"), {"reason": "Lost"})
    assert _keys() == [(key.pk, "revoked", "Lost")]


@pytest.mark.parametrize("action", ["revoke", "reissue"])
def test_a_superuser_may_take_either_action(
    superuser_client: Client, key: LinkageKey, action: str
) -> None:
    superuser_client.post(_url(key, action), {"reason": "Asked by the practice"})

    key.refresh_from_db()
    assert key.status == "revoked"
    assert AuditEvent.objects.get().actor == "operator"


@pytest.mark.parametrize("action", ["revoke", "reissue"])
def test_a_revoked_key_offers_nothing_to_do_and_changes_nothing(
    staff_client: Client, key: LinkageKey, action: str
) -> None:
    LinkageKey.objects.filter(pk=key.pk).update(status="revoked", revoked_reason="Earlier")

    asked = _text(staff_client.get(_url(key, action)).content.decode())
    staff_client.post(_url(key, action), {"reason": "Again"})

    assert "This key was revoked already" in asked
    assert _keys() == [(key.pk, "revoked", "Earlier")]
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("action", ["revoke", "reissue"])
def test_each_action_needs_the_form_s_csrf_token(
    staff_client: Client, key: LinkageKey, action: str
) -> None:
    staff_client.handler.enforce_csrf_checks = True

    assert staff_client.post(_url(key, action), {"reason": "Lost"}).status_code == 403
    assert _keys() == [(key.pk, "active", "")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("action", ["revoke", "reissue"])
def test_nothing_changes_when_the_action_s_audit_event_cannot_be_written(
    staff_client: Client, key: LinkageKey, action: str
) -> None:
    staff_client.raise_request_exception = False
    before = list(LinkageKey.objects.values_list("pk", "status", "encrypted_key"))

    with audit_writes_fail() as refused:
        response = staff_client.post(_url(key, action), {"reason": "Lost phone"})

    assert refused
    assert response.status_code == 503
    assert list(LinkageKey.objects.values_list("pk", "status", "encrypted_key")) == before
    assert OLD_KEY not in staff_client.get(_letter(key)).content.decode()
