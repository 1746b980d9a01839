"""The client's address behind trusted proxies: the right-most X-Forwarded-For hop that is not
a trusted proxy, walking left from REMOTE_ADDR only while each hop is trusted."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from pytest_django.fixtures import Settings as SettingsWrapper

from core.client_address import client_address, client_rate_limit_key
from tests.settings_process import PRODUCTION_ENV, settings_import, settings_read

LOAD_BALANCER = "10.0.0.5"


def _address(remote_addr: str, forwarded_for: str | None = None) -> str:
    request = RequestFactory().get("/", REMOTE_ADDR=remote_addr)
    if forwarded_for is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client_address(request)


@pytest.fixture
def behind_a_load_balancer(settings: SettingsWrapper) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "192.0.2.10", "2001:db8:ffff::/48"]


def test_without_trusted_proxies_the_header_is_ignored(settings: SettingsWrapper) -> None:
    settings.TRUSTED_PROXIES = []

    assert _address(LOAD_BALANCER, "198.51.100.7") == LOAD_BALANCER


@pytest.mark.usefixtures("behind_a_load_balancer")
@pytest.mark.parametrize(
    ("remote_addr", "forwarded_for", "client"),
    [
        pytest.param(LOAD_BALANCER, "198.51.100.7", "198.51.100.7", id="one-proxy"),
        pytest.param(LOAD_BALANCER, "198.51.100.7, 192.0.2.10", "198.51.100.7", id="two-proxies"),
        # The client sent its own header: everything left of the first untrusted hop is theirs.
        pytest.param(LOAD_BALANCER, "203.0.113.1, 198.51.100.7", "198.51.100.7", id="forged"),
        pytest.param(
            LOAD_BALANCER, "10.0.0.9, 198.51.100.7", "198.51.100.7", id="forged-trusted-value"
        ),
        # A request that did not come through a trusted proxy: its header is its own invention.
        pytest.param("198.51.100.7", "203.0.113.1", "198.51.100.7", id="untrusted-remote"),
        pytest.param(LOAD_BALANCER, None, LOAD_BALANCER, id="no-header"),
        pytest.param(LOAD_BALANCER, "", LOAD_BALANCER, id="empty-header"),
        # Every hop trusted (a call from inside the proxies' own network): the left-most.
        pytest.param(LOAD_BALANCER, "10.0.0.7, 192.0.2.10", "10.0.0.7", id="all-trusted"),
        # Malformed hops stop the walk at the trusted proxy that passed them on: never a new
        # bucket per request for whatever text the client sends.
        pytest.param(LOAD_BALANCER, "not-an-address", LOAD_BALANCER, id="garbage"),
        pytest.param(LOAD_BALANCER, "198.51.100.7, unknown", LOAD_BALANCER, id="unknown-hop"),
        pytest.param(LOAD_BALANCER, "198.51.100.7:4711", LOAD_BALANCER, id="port-suffix"),
        pytest.param(LOAD_BALANCER, "198.51.100.7, , 192.0.2.10", "192.0.2.10", id="empty-hop"),
        pytest.param(LOAD_BALANCER, " 198.51.100.7 ", "198.51.100.7", id="spaces"),
        pytest.param(LOAD_BALANCER, "::ffff:198.51.100.7", "198.51.100.7", id="ipv4-mapped"),
        pytest.param(LOAD_BALANCER, "2001:DB8::1", "2001:db8::1", id="ipv6"),
        pytest.param("2001:db8:ffff::1", "198.51.100.7", "198.51.100.7", id="ipv6-proxy"),
        pytest.param("::ffff:10.0.0.5", "198.51.100.7", "198.51.100.7", id="mapped-proxy"),
        pytest.param("", "198.51.100.7", "unknown", id="no-remote-addr"),
    ],
)
def test_the_client_is_the_right_most_untrusted_hop(
    remote_addr: str, forwarded_for: str | None, client: str
) -> None:
    assert _address(remote_addr, forwarded_for) == client


@pytest.mark.usefixtures("behind_a_load_balancer")
def test_a_long_header_is_walked_no_further_than_twenty_hops() -> None:
    forwarded_for = ", ".join(["198.51.100.7"] + ["10.0.0.9"] * 30)

    assert _address(LOAD_BALANCER, forwarded_for) == "10.0.0.9"


@pytest.mark.usefixtures("behind_a_load_balancer")
def test_an_ipv6_client_is_limited_by_its_64() -> None:
    def key(address: str) -> str:
        request = RequestFactory().get("/", REMOTE_ADDR=LOAD_BALANCER, HTTP_X_FORWARDED_FOR=address)
        return client_rate_limit_key(request)

    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert key("2001:db8:1:3::1") != key("2001:db8:1:2::1")
    assert key("198.51.100.7") == "198.51.100.7"


def test_a_malformed_trusted_proxy_stops_the_portal(settings: SettingsWrapper) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "load-balancer.internal"]

    with pytest.raises(ImproperlyConfigured, match=r"load-balancer\.internal"):
        _address(LOAD_BALANCER, "198.51.100.7")


_READ_LIMITS = """
import json
import django
django.setup()
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in (
    "TRUSTED_PROXIES",
    "SIGN_IN_RATE_LIMIT_PER_MINUTE",
    "NHS_LOGIN_MAX_PENDING_FLOWS",
    "OIDC_MAX_STATES",
    "LINKAGE_API_RATE_LIMIT_PER_ADDRESS_PER_MINUTE",
    "LINKAGE_API_TOKEN_RATE_LIMIT_PER_ADDRESS_PER_MINUTE",
)}))
"""


def test_production_defaults_are_sized_for_a_national_service(tmp_path: Path) -> None:
    """No trusted proxy unless configured; 60 sign-ins a minute per address, which a household
    or a GP practice behind one address does not reach (docs/operations.md)."""
    loaded = settings_read("production", PRODUCTION_ENV, tmp_path, script=_READ_LIMITS)

    assert loaded == {
        "TRUSTED_PROXIES": [],
        "SIGN_IN_RATE_LIMIT_PER_MINUTE": 60,
        "NHS_LOGIN_MAX_PENDING_FLOWS": 10,
        "OIDC_MAX_STATES": 10,
        "LINKAGE_API_RATE_LIMIT_PER_ADDRESS_PER_MINUTE": 1200,
        "LINKAGE_API_TOKEN_RATE_LIMIT_PER_ADDRESS_PER_MINUTE": 60,
    }


def test_trusted_proxies_are_a_comma_separated_list(tmp_path: Path) -> None:
    environment = {**PRODUCTION_ENV, "TRUSTED_PROXIES": "10.0.0.0/16,192.0.2.10"}

    loaded = settings_read("production", environment, tmp_path, script=_READ_LIMITS)

    assert loaded["TRUSTED_PROXIES"] == ["10.0.0.0/16", "192.0.2.10"]


def test_a_malformed_trusted_proxy_stops_the_portal_at_start_up(tmp_path: Path) -> None:
    environment = {**PRODUCTION_ENV, "TRUSTED_PROXIES": "10.0.0.0/16,load-balancer.internal"}

    completed = settings_import("production", environment, tmp_path, script=_READ_LIMITS)

    assert completed.returncode != 0
    assert "TRUSTED_PROXIES: 'load-balancer.internal' is not an IP address" in completed.stderr
