"""The simulator's stand-in for the Personal Demographics Service, which NHS login checks a
provisioning request against (NHS login's "What is account provisioning?": the patient must
have an active PDS record): the records of its test users who have an NHS number, and the
people of ``pds_records.json`` who have no NHS login yet. Synthetic data only."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from nhs_login_simulator.users import file_users

PDS_RECORDS_FILE = Path(__file__).resolve().parent / "pds_records.json"


@dataclass(frozen=True)
class PdsRecord:
    nhs_number: str
    given_name: str = field(repr=False)
    family_name: str = field(repr=False)
    birthdate: str = field(repr=False)


@cache
def _records() -> dict[str, PdsRecord]:
    records: dict[str, PdsRecord] = {}
    for user in file_users():
        nhs_number = user.claims.get("nhs_number")
        if isinstance(nhs_number, str) and nhs_number not in records:
            records[nhs_number] = PdsRecord(
                nhs_number,
                str(user.claims.get("given_name", "")),
                str(user.claims.get("family_name", "")),
                str(user.claims.get("birthdate", "")),
            )
    for entry in json.loads(PDS_RECORDS_FILE.read_text())["records"]:
        records[entry["nhs_number"]] = PdsRecord(
            entry["nhs_number"], entry["given_name"], entry["family_name"], entry["birthdate"]
        )
    return records


def pds_record(nhs_number: str) -> PdsRecord | None:
    return _records().get(nhs_number)
