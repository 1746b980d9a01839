"""Which host names can only ever mean the machine asking (RFC 6761, 6.3: ``localhost`` and
``*.localhost``; and the loopback addresses): where plain http is acceptable and where a
deployment serving patients must not point. The one rule for the settings' start-up checks and
``manage.py nhs_login_check``.

Settings import this module before Django is set up, so it imports only the standard library.
"""

from __future__ import annotations

from urllib.parse import urlsplit

_LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def host_is_this_machine(host: str | None) -> bool:
    return host is not None and (
        host.lower() in _LOOPBACK_HOSTS or host.lower().endswith(".localhost")
    )


def url_is_this_machine(url: str) -> bool:
    try:
        return host_is_this_machine(urlsplit(url).hostname)
    except ValueError:
        return False
