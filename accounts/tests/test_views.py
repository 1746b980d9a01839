"""The NHS login start endpoint the start page's button posts to."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_nhs_login_start_says_sign_in_is_not_available_yet(client: Client) -> None:
    response = client.post(reverse("accounts:nhs_login_start"))

    assert response.status_code == 503
    html = response.content.decode()
    assert "<h1>Sign in is not available yet</h1>" in html
    assert 'href="/"' in html


def test_nhs_login_start_refuses_get(client: Client) -> None:
    assert client.get(reverse("accounts:nhs_login_start")).status_code == 405
