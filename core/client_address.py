"""The one answer to "which address is this request from?", for every per-address limit.

Behind a load balancer ``REMOTE_ADDR`` is the load balancer's own address, the same for every
patient, so a limit keyed on it is one bucket for the whole country (docs/operations.md,
"Behind a load balancer"). The client's address is then in ``X-Forwarded-For``, which each
proxy appends to: ``client, proxy1, proxy2`` with ``REMOTE_ADDR`` the last proxy. Everything
left of the first hop a trusted proxy wrote is whatever the client chose to send, so the
address is found by walking from ``REMOTE_ADDR`` leftwards only while each hop is one of
``settings.TRUSTED_PROXIES``; the first hop that is not trusted is the client. With no trusted
proxies (the default) the header is ignored and ``REMOTE_ADDR`` is the client.
"""

from __future__ import annotations

import functools
import ipaddress

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

UNKNOWN = "unknown"
# A real chain is a handful of hops; a longer header is walked no further than this, so a
# request cannot make the portal parse an arbitrarily long list.
MAX_HOPS = 20
# One household or small office is given a whole IPv6 /64 (RFC 6177), and can use any address
# in it: the /64 is one client for a limit, or a client could step past it address by address.
IPV6_CLIENT_PREFIX = 64


@functools.lru_cache(maxsize=8)
def _networks(configured: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    networks = []
    for entry in configured:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as error:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES: {entry!r} is not an IP address or CIDR network"
            ) from error
    return tuple(networks)


def trusted_proxy_networks() -> tuple[IPNetwork, ...]:
    """``settings.TRUSTED_PROXIES`` parsed; a malformed entry stops the portal rather than
    being skipped, since skipping it would quietly put every patient in one bucket."""
    return _networks(tuple(settings.TRUSTED_PROXIES))


def _address(value: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:192.0.2.1 is 192.0.2.1
    return address


def _trusted(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def client_ip(request: HttpRequest) -> IPAddress | None:
    """The address of the client that sent ``request``, or None if even ``REMOTE_ADDR`` is not
    an address (a test client, a Unix socket).

    A hop that is not an address (garbage, ``unknown``, a port suffix) stops the walk at the
    trusted proxy that passed it on: the client is then counted as that proxy, never as the
    garbage, so a malformed header cannot make a new bucket for each request.
    """
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    networks = trusted_proxy_networks()
    if remote is None or not networks or not _trusted(remote, networks):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    client = remote
    for hop in reversed(forwarded.split(",")[-MAX_HOPS:]):
        address = _address(hop)
        if address is None:
            return client
        client = address
        if not _trusted(address, networks):
            return address
    return client


def client_address(request: HttpRequest) -> str:
    """The client's address as text, for logs and limits ("unknown" if there is none)."""
    address = client_ip(request)
    return UNKNOWN if address is None else str(address)


def client_rate_limit_key(request: HttpRequest) -> str:
    """The client's bucket for a per-address limit: its IPv4 address, or its IPv6 /64."""
    address = client_ip(request)
    if address is None:
        return UNKNOWN
    if isinstance(address, ipaddress.IPv6Address):
        network = ipaddress.IPv6Network(f"{address}/{IPV6_CLIENT_PREFIX}", strict=False)
        return str(network)
    return str(address)


def client_lockout_address(request: HttpRequest) -> str | None:
    """The client's address as the admin sign-in lockout counts it (django-axes'
    ``AXES_CLIENT_IP_CALLABLE``): the trusted client address, never ``REMOTE_ADDR`` behind a
    proxy nor a hop the client wrote; an IPv6 client by the first address of its /64, which
    is still an address, as axes' ``ip_address`` column needs. None when there is no address
    at all: such requests then share one bucket."""
    address = client_ip(request)
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network(f"{address}/{IPV6_CLIENT_PREFIX}", strict=False)[0])
    return None if address is None else str(address)
