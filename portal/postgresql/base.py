"""Django's PostgreSQL backend, with a health check that needs no round trip.

Persistent connections are checked before a request first uses them (CONN_HEALTH_CHECKS), so that a
connection the server dropped (a restart, an idle timeout, a failover) is replaced instead of
failing the request. Django checks with `SELECT 1`: one more round trip on every request, a third
of a member's article page's database time. The same news is on the socket already: a server that
ends a connection sends a termination message and closes its side, so an idle connection's socket
that has anything to read, or is at its end, is not usable. Reading nothing costs one poll() and no
trip to the server.
"""

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if self.in_atomic_block or connection.info.transaction_status != pq.TransactionStatus.IDLE:
            return super().is_usable()  # not idle: the socket may rightly hold an answer on its way
        try:
            poller = select.poll()
            poller.register(connection.pgconn.socket, select.POLLIN | select.POLLPRI)
            return not poller.poll(0)
        except (OSError, ValueError):
            return False
