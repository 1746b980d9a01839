"""Django's PostgreSQL backend with a health check that costs no round trip (docs/adr/0008).

With CONN_HEALTH_CHECKS, Django asks a reused connection ``SELECT 1`` before the first query
of every request, so that a connection the server dropped (a restart, a failover, an
administrator's terminate, a pooler's idle timeout) is replaced rather than failing the
request. On the linkage API that was one round trip in four, and each round trip costs the
app server more CPU than its own work on loopback.

A server that drops a connection tells the client: it sends its closing message and closes
the socket, so an idle connection that is still good has nothing to read, and one that was
dropped has. Here the socket is polled without waiting; only when something is waiting to be
read is ``SELECT 1`` asked, as before, and the connection replaced if that fails. A path that
went dead without the server closing it is not seen by the poll; it was not seen quickly by
``SELECT 1`` either, which waited for the socket's timeout.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        try:
            waiting, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return bool(super().is_usable()) if waiting else True
