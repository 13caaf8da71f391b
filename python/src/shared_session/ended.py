"""Where this app remembers sessions the hub ended, and logout tokens already used.

A back-channel logout lands on one process; every process must refuse that
session's tokens from then on. :class:`MemoryEndedSessions` is for one
process; :class:`SqliteEndedSessions` shares one file between the processes
of one machine; the Django integration has one on Django's cache framework.
Entries are kept only as long as a token they concern could still verify.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Dict, Optional, Protocol, Tuple


class EndedSessions(Protocol):
    """What the consumer needs from a registry of ended sessions.

    Example::

        ended.end_session("https://auth.acme.com", "sid-1", until=time.time() + 86400)
        ended.is_ended("https://auth.acme.com", "sid-1", "u_42", iat=1700000000)  # True
    """

    def end_session(self, iss: str, sid: str, until: float) -> None:
        """Every token of session ``sid`` is refused until ``until`` (epoch seconds)."""

    def end_subject(self, iss: str, sub: str, at: float, until: float) -> None:
        """Every token of user ``sub`` issued at or before ``at`` is refused until ``until``."""

    def is_ended(self, iss: str, sid: str, sub: str, iat: int) -> bool:
        """Whether a token of (``sid``, ``sub``) issued at ``iat`` belongs to an ended session."""

    def first_use(self, iss: str, jti: str, until: float) -> bool:
        """True the first time a logout token id is seen (remembered until ``until``), False on a replay."""


class MemoryEndedSessions:
    """An :class:`EndedSessions` in this process's memory, bounded to ``max_entries``.

    Example::

        consumer = Consumer(settings, ended=MemoryEndedSessions())
    """

    def __init__(self, max_entries: int = 100_000, clock=time.time) -> None:
        self._max = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        # key -> (value, until); insertion order is age order.
        self._entries: Dict[Tuple[str, str, str], Tuple[float, float]] = {}

    def end_session(self, iss: str, sid: str, until: float) -> None:
        self._put(("sid", iss, sid), 0.0, until)

    def end_subject(self, iss: str, sub: str, at: float, until: float) -> None:
        with self._lock:
            previous = self._entries.get(("sub", iss, sub))
        self._put(("sub", iss, sub), max(at, previous[0] if previous else at), until)

    def is_ended(self, iss: str, sid: str, sub: str, iat: int) -> bool:
        now = self._clock()
        with self._lock:
            by_sid = self._entries.get(("sid", iss, sid))
            by_sub = self._entries.get(("sub", iss, sub))
        return bool((by_sid and by_sid[1] > now) or (by_sub and by_sub[1] > now and iat <= by_sub[0]))

    def first_use(self, iss: str, jti: str, until: float) -> bool:
        now = self._clock()
        with self._lock:
            seen = self._entries.get(("jti", iss, jti))
            if seen and seen[1] > now:
                return False
            self._store(("jti", iss, jti), 0.0, until, now)
            return True

    def _put(self, key: Tuple[str, str, str], value: float, until: float) -> None:
        with self._lock:
            self._store(key, value, until, self._clock())

    def _store(self, key: Tuple[str, str, str], value: float, until: float, now: float) -> None:
        self._entries.pop(key, None)
        self._entries[key] = (value, until)
        if len(self._entries) > self._max:
            for old in [k for k, (_, u) in self._entries.items() if u <= now]:
                del self._entries[old]
            while len(self._entries) > self._max:
                del self._entries[next(iter(self._entries))]


SCHEMA = """
CREATE TABLE IF NOT EXISTS shared_session_ended (
  kind  TEXT NOT NULL,
  iss   TEXT NOT NULL,
  key   TEXT NOT NULL,
  at    REAL NOT NULL,
  until REAL NOT NULL,
  PRIMARY KEY (kind, iss, key)
)
"""


class SqliteEndedSessions:
    """An :class:`EndedSessions` in a SQLite file, shared by every process of
    the app on one machine (gunicorn workers, say). Uses only the standard library.

    Example::

        consumer = Consumer(settings, ended=SqliteEndedSessions("/var/lib/wiki/ended.sqlite"))
    """

    def __init__(self, path: str, clock=time.time) -> None:
        self.path = path
        self._clock = clock
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=5, isolation_level=None)

    def end_session(self, iss: str, sid: str, until: float) -> None:
        self._write("INSERT INTO shared_session_ended VALUES ('sid', ?, ?, 0, ?) ON CONFLICT DO UPDATE SET until = max(until, excluded.until)", (iss, sid, until))

    def end_subject(self, iss: str, sub: str, at: float, until: float) -> None:
        self._write("INSERT INTO shared_session_ended VALUES ('sub', ?, ?, ?, ?) ON CONFLICT DO UPDATE SET at = max(at, excluded.at), until = max(until, excluded.until)", (iss, sub, at, until))

    def is_ended(self, iss: str, sid: str, sub: str, iat: int) -> bool:
        conn = self._connect()
        try:
            row = conn.execute(
                "SELECT 1 FROM shared_session_ended WHERE until > ? AND iss = ? AND ((kind = 'sid' AND key = ?) OR (kind = 'sub' AND key = ? AND ? <= at))",
                (self._clock(), iss, sid, sub, iat),
            ).fetchone()
        finally:
            conn.close()
        return row is not None

    def first_use(self, iss: str, jti: str, until: float) -> bool:
        now = self._clock()
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM shared_session_ended WHERE kind = 'jti' AND iss = ? AND key = ? AND until <= ?", (iss, jti, now))
            fresh = conn.execute("INSERT INTO shared_session_ended VALUES ('jti', ?, ?, 0, ?) ON CONFLICT DO NOTHING", (iss, jti, until)).rowcount == 1
            conn.execute("COMMIT")
            return fresh
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

    def _write(self, sql: str, params: tuple) -> None:
        conn = self._connect()
        try:
            conn.execute(sql, params)
            conn.execute("DELETE FROM shared_session_ended WHERE until <= ?", (self._clock(),))
        finally:
            conn.close()
