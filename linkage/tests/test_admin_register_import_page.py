"""The register import page as practice staff meet it: a template to download, what each
column takes, and their own practice already chosen."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.tests.factories import UserFactory
from linkage.audit import Actor, ActorType
from linkage.models import Practice, PracticeStaff, RegisteredPatient
from linkage.register_import import COLUMNS, HEADER, STATUSES, RegisterImportError, register_import
from tests.support import staff_signed_in

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/linkage/registeredpatient/import/"
TEMPLATE_URL = "/admin/linkage/registeredpatient/import/template.csv"


def practice_options(html: str) -> list[tuple[str, bool]]:
    """(label, selected) of each option of the practice field."""
    select = re.search(r'<select name="practice"[^>]*>(.*?)</select>', html, re.S)
    assert select, "no practice field"
    return [
        (label.strip(), "selected" in attributes)
        for attributes, label in re.findall(r"<option([^>]*)>(.*?)</option>", select.group(1))
    ]


def test_the_template_is_the_header_row_the_import_takes(
    staff_client: Client, this_practice: Practice
) -> None:
    response = staff_client.get(TEMPLATE_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="register-template.csv"'
    template = response.content.decode()
    assert template == ",".join(HEADER) + "\r\n"
    # The template as downloaded is refused as empty, never imported as a patient.
    with pytest.raises(RegisterImportError, match="1 error"):
        register_import(
            actor=Actor(ActorType.SYSTEM, "test"),
            practice=this_practice,
            source=io.StringIO(template, newline=""),
        )
    # Filled in with a row, it imports.
    filled = template + "999 000 0018,Thompson,Ava,1985-03-05,registered\r\n"
    staff_client.post(
        IMPORT_URL,
        {"practice": this_practice.pk, "file": SimpleUploadedFile("r.csv", filled.encode())},
    )
    assert RegisteredPatient.objects.get().surname == "Thompson"


def test_the_page_links_the_template_and_lists_what_each_column_takes(
    staff_client: Client, this_practice: Practice
) -> None:
    page = staff_client.get(IMPORT_URL).content.decode()

    assert f'href="{TEMPLATE_URL}"' in page
    assert ",".join(HEADER) in page
    for column in COLUMNS:
        assert f"<code>{column.name}</code>" in page
        assert column.example in page
    for status in STATUSES:
        assert f"<li><code>{status}</code>:" in page
    assert "(optional)" in page  # given_name


def test_the_one_practice_of_its_staff_is_chosen_already(
    staff_client: Client, this_practice: Practice, other_practice: Practice
) -> None:
    page = staff_client.get(IMPORT_URL).content.decode()

    assert practice_options(page) == [("Demo Surgery (A12345)", True)]


def test_staff_of_two_practices_choose_one_of_theirs(
    this_practice: Practice, other_practice: Practice
) -> None:
    user = UserFactory.create(is_staff=True)
    for practice in (this_practice, other_practice):
        PracticeStaff.objects.create(user=user, practice=practice)
    staff = staff_signed_in(user)

    page = staff.get(IMPORT_URL).content.decode()
    refused = staff.post(
        IMPORT_URL, {"file": SimpleUploadedFile("r.csv", b"nhs_number\n")}
    ).content.decode()

    assert practice_options(page) == [
        ("Choose the practice", True),
        ("Demo Surgery (A12345)", False),
        ("Other Surgery (B23456)", False),
    ]
    assert "This field is required" in refused


def test_the_template_is_only_for_those_who_may_import(db: None) -> None:
    no_practice = staff_signed_in(UserFactory.create(is_staff=True))

    assert no_practice.get(TEMPLATE_URL).status_code == 403
    assert Client().get(TEMPLATE_URL).status_code == 302  # to the sign-in page
