"""The register upload is bounded: a file over ``UPLOAD_MAX_BYTES`` is refused with a clear
message before it is read, parsed or kept (core/uploads.py), and a file full of bad rows gets a
page listing the first ``ERRORS_REPORTED`` problems and a count of the rest, not a page the size
of the file (linkage/register_import.py)."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.core.files.uploadhandler import load_handler
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParser
from django.test import Client, RequestFactory
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.tests.factories import synthetic_nhs_number
from linkage.models import AuditEvent, Practice, RegisteredPatient
from linkage.register_import import ERRORS_REPORTED

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/linkage/registeredpatient/import/"
HEADER = "nhs_number,surname,given_name,date_of_birth,registration_status"


def register_csv(rows: int, *, valid: bool = True) -> bytes:
    lines = [HEADER]
    for index in range(rows):
        nhs_number = synthetic_nhs_number(index + 1) if valid else f"not-a-number-{index}"
        lines.append(f"{nhs_number},Murphy,Finn,2001-06-01,registered")
    return ("\n".join(lines) + "\n").encode()


def upload(client: Client, practice: Practice, content: bytes) -> HttpResponse:
    response = client.post(
        IMPORT_URL, {"practice": practice.pk, "file": SimpleUploadedFile("register.csv", content)}
    )
    assert isinstance(response, HttpResponse)
    return response


def refusal_page(client: Client, practice: Practice, content: bytes) -> str:
    """The import page shown again with its problems (a success redirects to the list)."""
    response = upload(client, practice, content)
    assert response.status_code == 200
    return response.content.decode()


def test_a_file_over_the_cap_is_refused_with_a_clear_message_and_nothing_imported(
    staff_client: Client, this_practice: Practice, settings: SettingsWrapper
) -> None:
    content = register_csv(200)
    settings.UPLOAD_MAX_BYTES = len(content) - 1

    page = refusal_page(staff_client, this_practice, content)

    assert "The file is larger than" in page
    assert "Split it into smaller files" in page
    assert not RegisteredPatient.objects.exists()
    assert not AuditEvent.objects.filter(action="IMPORT").exists()


def test_a_file_at_the_cap_is_imported(
    staff_client: Client, this_practice: Practice, settings: SettingsWrapper
) -> None:
    content = register_csv(200)
    settings.UPLOAD_MAX_BYTES = len(content)

    response = upload(staff_client, this_practice, content)

    assert response.status_code == 302
    assert RegisteredPatient.objects.count() == 200


def test_the_default_cap_is_twenty_megabytes() -> None:
    assert settings.UPLOAD_MAX_BYTES == 20_000_000


def test_bytes_past_the_cap_are_dropped_as_they_arrive_not_kept(
    settings: SettingsWrapper,
) -> None:
    """However large the upload, what is kept in memory or on disk is the cap and one byte."""
    settings.UPLOAD_MAX_BYTES = 1000
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100  # so the file would go to a temporary file
    content = b"x" * 500_000
    request = RequestFactory().post("/", {"file": SimpleUploadedFile("register.csv", content)})
    handlers = [load_handler(path, request) for path in settings.FILE_UPLOAD_HANDLERS]

    parser = MultiPartParser(request.META, io.BytesIO(request.body), handlers)
    _post, files = parser.parse()

    kept = files["file"]
    assert isinstance(kept, UploadedFile)
    assert kept.size == 1001
    kept.seek(0)
    assert kept.read() == content[:1001]


def test_a_file_of_bad_rows_lists_the_first_problems_and_counts_the_rest(
    staff_client: Client, this_practice: Practice
) -> None:
    rows = ERRORS_REPORTED * 30
    content = register_csv(rows, valid=False)

    page = refusal_page(staff_client, this_practice, content)

    assert page.count("<li>line ") == ERRORS_REPORTED
    assert f"and {rows - ERRORS_REPORTED} more rows with problems" in page
    assert len(page) < len(content)
    assert not RegisteredPatient.objects.exists()
