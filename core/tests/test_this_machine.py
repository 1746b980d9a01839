"""Which names can only mean this machine (core/this_machine.py), the rule shared by the
settings' start-up checks and manage.py nhs_login_check."""

from __future__ import annotations

import pytest

from core.this_machine import host_is_this_machine, url_is_this_machine


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://localhost:8000/", True),
        ("http://LOCALHOST/", True),
        ("http://simulator.localhost:8001/nhs-login-simulator", True),
        ("http://127.0.0.1:8000/", True),
        ("http://[::1]:8000/", True),
        ("https://localhost.example.org/", False),
        ("https://auth.sandpit.signin.nhs.uk", False),
        ("http://127.0.0.2/", False),
        ("not a url at all", False),
        ("http://[::1/", False),
    ],
)
def test_only_names_that_cannot_mean_another_machine_are_this_machine(
    url: str, expected: bool
) -> None:
    assert url_is_this_machine(url) is expected


def test_no_host_is_not_this_machine() -> None:
    assert host_is_this_machine(None) is False
