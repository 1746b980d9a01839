"""Staff issue a first linkage key from a registered patient's page in the admin: asked first,
issued through the audited create, the new key shown once on a letter for the patient, and
never in a URL, the admin's history, the session in clear or a log (docs/adr/0024)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from html import unescape

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.utils import timezone

from accounts.presenters import date_display
from accounts.tests.factories import UserFactory
from linkage.crypto import linkage_key_decrypt
from linkage.models import AuditEvent, LinkageKey, Practice, PracticeStaff, RegisteredPatient
from linkage.tests.factories import LinkageKeyFactory, RegisteredPatientFactory
from tests.audit_faults import audit_writes_fail
from tests.security.secrets_in_logs import secret_is_registered
from tests.support import staff_signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(this_practice: Practice) -> RegisteredPatient:
    return RegisteredPatientFactory.create(
        practice=this_practice,
        nhs_number="9990000018",
        given_name="Ava",
        surname="Thompson",
        date_of_birth=datetime.date(1985, 3, 5),
    )


def _page(patient: RegisteredPatient) -> str:
    return f"/admin/linkage/registeredpatient/{patient.pk}/change/"


def _issue(patient: RegisteredPatient) -> str:
    return f"/admin/linkage/registeredpatient/{patient.pk}/issue-key/"


def _letter(patient: RegisteredPatient) -> str:
    return f"/admin/linkage/registeredpatient/{patient.pk}/new-key-letter/"


def _issued_key(patient: RegisteredPatient) -> str:
    return linkage_key_decrypt(LinkageKey.objects.get(patient=patient).encrypted_key)


def _messages(html: str) -> list[str]:
    """The admin's messages as the staff member reads them."""
    found = re.findall(r'<li class="(?:success|error|warning|info)">(.*?)</li>', html, re.S)
    return [unescape(re.sub(r"\s+", " ", message)).strip() for message in found]


@pytest.fixture
def reader(this_practice: Practice) -> Client:
    """Staff of this practice without any of the key permissions."""
    user = UserFactory.create(username="reader-a12345", is_staff=True)
    PracticeStaff.objects.create(user=user, practice=this_practice)
    return staff_signed_in(user)


def test_the_patient_s_page_offers_a_key_to_a_patient_without_one(
    staff_client: Client, reader: Client, patient: RegisteredPatient
) -> None:
    assert _issue(patient) in staff_client.get(_page(patient)).content.decode()
    assert _issue(patient) not in reader.get(_page(patient)).content.decode()

    key = LinkageKeyFactory.create(patient=patient)

    html = staff_client.get(_page(patient)).content.decode()
    assert _issue(patient) not in html
    assert f"/admin/linkage/linkagekey/{key.pk}/change/" in html


def test_issuing_asks_first_and_says_what_will_happen(
    staff_client: Client, patient: RegisteredPatient
) -> None:
    html = staff_client.get(_issue(patient)).content.decode()

    assert "Issue a linkage key" in html
    assert "The key is shown once" in html
    assert "999 000 0018" in html
    assert 'type="submit" value="Issue the key"' in html
    assert not LinkageKey.objects.exists()
    assert not AuditEvent.objects.exists()


def test_staff_issue_a_key_recorded_with_their_name_and_the_request_id(
    staff_client: Client, patient: RegisteredPatient
) -> None:
    response = staff_client.post(_issue(patient), headers={"X-Request-ID": "issue-at-desk-1"})

    assert response.status_code == 302
    assert response["Location"] == _letter(patient)
    key = LinkageKey.objects.get(patient=patient)
    assert (key.status, key.created_by) == ("active", "staff:reception-a12345")
    assert list(
        AuditEvent.objects.values_list(
            "actor_type", "actor", "action", "outcome", "ods_code", "nhs_number", "request_id"
        )
    ) == [
        (
            "staff",
            "reception-a12345",
            "create",
            "SUCCESS",
            "A12345",
            "9990000018",
            "issue-at-desk-1",
        )
    ]


def test_the_new_key_is_shown_once_on_a_letter_for_the_patient(
    staff_client: Client, patient: RegisteredPatient
) -> None:
    staff_client.post(_issue(patient))
    linkage_key = _issued_key(patient)
    key = LinkageKey.objects.get(patient=patient)

    shown = staff_client.get(_letter(patient))
    again = staff_client.get(_letter(patient))

    html = shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    for expected in (
        linkage_key,
        key.account_id,
        "Demo Surgery",
        "A12345",
        "Ava Thompson",
        date_display(timezone.localdate()),
        "Keep your linkage key private",
        "GP online services",
    ):
        assert expected in html
    assert linkage_key not in again.content.decode()
    assert "has been shown already" in again.content.decode()


def test_the_key_is_in_no_url_no_admin_history_and_the_session_only_encrypted(
    staff_client: Client, patient: RegisteredPatient
) -> None:
    issued = staff_client.post(_issue(patient))
    linkage_key = _issued_key(patient)
    session = staff_client.session

    assert linkage_key not in issued["Location"]
    assert linkage_key not in repr(dict(session.items()))
    staff_client.get(_letter(patient))
    assert not any(
        linkage_key in f"{entry.object_repr} {entry.change_message}"
        for entry in LogEntry.objects.all()
    )
    # The log check (tests/security/secrets_in_logs.py) looks for this very key in every
    # record of the test, and fails the test if one carries it.
    assert secret_is_registered(linkage_key)


def test_a_colleague_s_session_never_shows_the_key(
    staff_client: Client, patient: RegisteredPatient, this_practice: Practice
) -> None:
    colleague = UserFactory.create(username="colleague-a12345", is_staff=True)
    PracticeStaff.objects.create(user=colleague, practice=this_practice)
    staff_client.post(_issue(patient))

    html = staff_signed_in(colleague).get(_letter(patient)).content.decode()

    assert _issued_key(patient) not in html
    assert "has been shown already" in html


def _ended(patient: RegisteredPatient) -> None:
    patient.registration_status = "ended"
    patient.save()


def _under_age(patient: RegisteredPatient) -> None:
    today = timezone.localdate()
    patient.date_of_birth = today.replace(year=today.year - 15)
    patient.save()


def _not_live(patient: RegisteredPatient) -> None:
    Practice.objects.filter(pk=patient.practice_id).update(online_services_live=False)


@pytest.mark.parametrize(
    ("make", "outcome", "message"),
    [
        pytest.param(
            _ended,
            "PATIENT_NOT_ELIGIBLE",
            "No key was issued: the patient's registration at the practice has ended",
            id="registration-ended",
        ),
        pytest.param(
            _under_age,
            "UNDER_MINIMUM_AGE",
            "No key was issued: the patient is under 16",
            id="under-minimum-age",
        ),
        pytest.param(
            _not_live,
            "PRACTICE_NOT_LIVE",
            "No key was issued: online services are switched off for the practice",
            id="online-services-off",
        ),
    ],
)
def test_a_refusal_is_told_in_staff_words_and_issues_nothing(
    staff_client: Client,
    patient: RegisteredPatient,
    make: Callable[[RegisteredPatient], None],
    outcome: str,
    message: str,
) -> None:
    make(patient)

    response = staff_client.post(_issue(patient), follow=True)

    assert response.redirect_chain[-1][0] == _page(patient)
    assert any(shown.startswith(message) for shown in _messages(response.content.decode()))
    assert not LinkageKey.objects.exists()
    assert AuditEvent.objects.get().outcome == outcome


def test_a_patient_who_has_a_key_is_sent_to_it_rather_than_given_another(
    staff_client: Client, patient: RegisteredPatient
) -> None:
    key = LinkageKeyFactory.create(patient=patient)

    asked = staff_client.get(_issue(patient)).content.decode()
    posted = staff_client.post(_issue(patient), follow=True).content.decode()

    assert "already has an active linkage key" in asked
    assert f"/admin/linkage/linkagekey/{key.pk}/change/" in asked
    assert 'value="Issue the key"' not in asked
    assert "No key was issued: the patient already has an active linkage key" in posted
    assert list(LinkageKey.objects.values_list("pk", flat=True)) == [key.pk]


def test_staff_of_another_practice_cannot_issue_our_patient_a_key(
    other_practice_staff_client: Client, patient: RegisteredPatient
) -> None:
    asked = other_practice_staff_client.get(_issue(patient))
    posted = other_practice_staff_client.post(_issue(patient))

    assert (asked.status_code, posted.status_code) == (403, 403)
    assert not LinkageKey.objects.exists()
    assert not AuditEvent.objects.exists()


def test_staff_without_the_issue_permission_are_refused(
    reader: Client, patient: RegisteredPatient
) -> None:
    assert reader.get(_issue(patient)).status_code == 403
    assert reader.post(_issue(patient)).status_code == 403
    assert not LinkageKey.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_superuser_issues_a_key_to_any_practice_s_patient(
    superuser_client: Client, patient: RegisteredPatient
) -> None:
    superuser_client.post(_issue(patient))

    assert _issued_key(patient) in superuser_client.get(_letter(patient)).content.decode()
    assert AuditEvent.objects.get().actor == "operator"


def test_issuing_needs_the_form_s_csrf_token(
    staff_client: Client, patient: RegisteredPatient
) -> None:
    staff_client.handler.enforce_csrf_checks = True

    assert staff_client.post(_issue(patient)).status_code == 403
    assert not LinkageKey.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_nothing_is_issued_or_handed_over_when_the_audit_cannot_be_written(
    staff_client: Client, patient: RegisteredPatient
) -> None:
    staff_client.raise_request_exception = False

    with audit_writes_fail() as refused:
        response = staff_client.post(_issue(patient))

    assert refused
    assert response.status_code == 503
    assert not LinkageKey.objects.exists()
    assert "has been shown already" in staff_client.get(_letter(patient)).content.decode()
