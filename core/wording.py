"""Words the portal's pages share, so that one thing has one name on every page and is
explained in the same words wherever it is explained. Every template has them
(core/jinja2.py); presenters import them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """A name the patient meets on several pages, and the sentence that explains it."""

    label: str
    explained: str


# What NHS login's documents and apps call the ODS code: the practice's code in the NHS's
# Organisation Data Service. Patients meet it as the practice's code, explained once per page
# where it first appears (the start page, the home page).
GP_PRACTICE_CODE = Term(
    label="GP practice code",
    explained=(
        "A GP practice code is the NHS's code for your GP practice. It's sometimes called an "
        "ODS code."
    ),
)
