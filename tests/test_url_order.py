"""The order of the root URLs changes nothing but speed (citizen_portal/portal_urls.py): no
address is matched by a pattern other than its own, so each fixed address resolves to its own
view whatever comes before it."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import get_resolver, resolve

from tests.support import url_routes

ROUTES = url_routes(get_resolver().url_patterns, fixed_only=True)


def test_there_are_routes_to_check() -> None:
    assert len(ROUTES) > 30
    assert ("api/v1/linkage/retrieve", resolve("/api/v1/linkage/retrieve").func) in ROUTES


@pytest.mark.parametrize(("route", "view"), ROUTES, ids=[route or "/" for route, _ in ROUTES])
def test_each_address_resolves_to_its_own_view(route: str, view: Any) -> None:
    assert resolve(f"/{route}").func is view
