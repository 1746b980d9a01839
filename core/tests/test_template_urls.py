"""url() in templates (core/jinja2.py): Django's reverse, remembered per URL configuration."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import NoReverseMatch, reverse, set_urlconf
from pytest_django.fixtures import Settings as SettingsWrapper

from core.admin_host import ADMIN_URLCONF, PORTAL_URLCONF
from core.jinja2 import url


@pytest.fixture
def urlconf_reset() -> Iterator[None]:
    yield
    set_urlconf(None)


@pytest.mark.parametrize(
    ("name", "args"),
    [("accounts:home", ()), ("core:start", ()), ("accounts:sign_out_confirm", ())],
)
def test_a_name_reverses_as_django_reverses_it(name: str, args: tuple[str, ...]) -> None:
    assert url(name, *args) == url(name, *args) == reverse(name, args=args or None)


@pytest.mark.usefixtures("urlconf_reset")
def test_each_url_configuration_has_its_own_answers() -> None:
    """The admin's own host serves only the admin: a portal page's name does not reverse
    there, even after the portal's configuration reversed it."""
    set_urlconf(PORTAL_URLCONF)
    assert url("accounts:home") == reverse("accounts:home", urlconf=PORTAL_URLCONF)

    set_urlconf(ADMIN_URLCONF)
    with pytest.raises(NoReverseMatch):
        url("accounts:home")


def test_a_change_of_url_configuration_is_seen(settings: SettingsWrapper) -> None:
    before = url("accounts:home")

    settings.ROOT_URLCONF = ADMIN_URLCONF

    with pytest.raises(NoReverseMatch):
        url("accounts:home")
    settings.ROOT_URLCONF = PORTAL_URLCONF
    assert url("accounts:home") == before
