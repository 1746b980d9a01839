"""Sections other apps add to the patient's linkage details page, below the three details.

The page is linkage's; what is connected with the details is not: IM1 pairing builds on
linkage, and linkage never imports it (the import contracts in pyproject.toml). So an app that
has something to show the patient beside their details registers a section here when it is
ready (im1/apps.py), and the page renders each one in the order they were registered.
"""

from __future__ import annotations

from typing import Protocol

from django.http import HttpRequest
from django.utils.safestring import SafeString


class DetailsPageSection(Protocol):
    """Render a section for the patient with this NHS number at this practice, as HTML marked
    safe (a template's escaped output); an empty string to show nothing."""

    def __call__(self, request: HttpRequest, *, nhs_number: str, ods_code: str) -> SafeString: ...


_sections: list[DetailsPageSection] = []


def details_page_section_register(section: DetailsPageSection) -> None:
    """Add ``section`` to the page, once however often an app's ``ready`` runs."""
    if section not in _sections:
        _sections.append(section)


def details_page_sections(
    request: HttpRequest, *, nhs_number: str, ods_code: str
) -> list[SafeString]:
    """Every registered section's HTML for this patient, the empty ones left out."""
    rendered = (section(request, nhs_number=nhs_number, ods_code=ods_code) for section in _sections)
    return [html for html in rendered if html]
