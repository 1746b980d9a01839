"""The linkage app's API-caller fixtures, shared with the security suite."""

from linkage.tests.conftest import (  # noqa: F401 (fixtures, found by name)
    api_client_for,
    api_private_key,
    nhs_login_api,
    practice,
    registered_patient,
)
