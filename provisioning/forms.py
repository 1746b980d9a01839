"""The form staff fill in to provision a patient's NHS login: the patient's email address and
UK mobile number, and that they have checked the patient's details with them."""

from __future__ import annotations

import re

from django import forms

# A UK mobile number (Ofcom's 071 to 075, 07624 and 077 to 079 ranges) in E.164, as NHS login
# asks for it: the country code first (Provision Account interface, 3.3.1).
_UK_MOBILE_E164 = re.compile(r"\+447(?:[1-57-9][0-9]{8}|624[0-9]{6})")
_SEPARATORS = re.compile(r"[\s().-]")


def uk_mobile_e164(raw: str) -> str:
    """``07700 900107``, ``+44 7700 900107`` or ``0044 7700 900107`` as ``+447700900107``.
    Raises ValueError for anything that is not a UK mobile number."""
    number = _SEPARATORS.sub("", raw)
    if number.startswith("00"):
        number = "+" + number[2:]
    elif number.startswith("0"):
        number = "+44" + number[1:]
    elif number.startswith("44"):
        number = "+" + number
    if not _UK_MOBILE_E164.fullmatch(number):
        raise ValueError("not a UK mobile number")
    return number


class ProvisionForm(forms.Form):
    email_address = forms.EmailField(
        label="Patient's email address",
        max_length=254,
        help_text="NHS login sends the link to set up the account here. It must be one only "
        "the patient uses.",
        error_messages={
            "required": "Enter the patient's email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
    )
    mobile_number = forms.CharField(
        label="Patient's UK mobile number",
        max_length=30,
        help_text="NHS login sends a security code here. For example, 07700 900123.",
        error_messages={"required": "Enter the patient's mobile number"},
    )
    details_confirmed = forms.BooleanField(
        label="I have checked the patient's name, date of birth and NHS number above with "
        "them, and their email address and mobile number",
        error_messages={"required": "Confirm you have checked the patient's details with them"},
    )

    def clean_mobile_number(self) -> str:
        try:
            return uk_mobile_e164(self.cleaned_data["mobile_number"])
        except ValueError as error:
            raise forms.ValidationError(
                "Enter a UK mobile number, like 07700 900123 or +44 7700 900123"
            ) from error
