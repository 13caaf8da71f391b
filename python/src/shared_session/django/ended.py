"""Ended sessions and used logout tokens in Django's cache framework."""

from __future__ import annotations

import hashlib
import time
from typing import Callable, Optional


class DjangoCacheEndedSessions:
    """An ``EndedSessions`` on a Django cache (``CACHES[alias]``). Every worker
    sees a back-channel logout only if that cache is shared between them
    (Redis, Memcached, the database or file cache); Django's default
    ``LocMemCache`` is per process, fine for one process only.

    Example::

        SHARED_SESSION = {..., "ENDED_SESSIONS_CACHE": "default"}
    """

    def __init__(self, alias: str = "default", clock: Callable[[], float] = time.time) -> None:
        from django.core.cache import caches

        self.cache = caches[alias]
        self._clock = clock

    def _key(self, kind: str, iss: str, value: str) -> str:
        # Hashed: cache keys have length and character limits (memcached: 250, no spaces).
        return "shared-session:" + kind + ":" + hashlib.sha256(f"{iss}\n{value}".encode()).hexdigest()

    def _ttl(self, until: float) -> int:
        return max(1, int(until - self._clock()) + 1)

    def end_session(self, iss: str, sid: str, until: float) -> None:
        self.cache.set(self._key("sid", iss, sid), 1, self._ttl(until))

    def end_subject(self, iss: str, sub: str, at: float, until: float) -> None:
        key = self._key("sub", iss, sub)
        previous: Optional[float] = self.cache.get(key)
        self.cache.set(key, max(at, previous or at), self._ttl(until))

    def is_ended(self, iss: str, sid: str, sub: str, iat: int) -> bool:
        sid_key, sub_key = self._key("sid", iss, sid), self._key("sub", iss, sub)
        found = self.cache.get_many([sid_key, sub_key])
        return sid_key in found or (sub_key in found and iat <= found[sub_key])

    def first_use(self, iss: str, jti: str, until: float) -> bool:
        return bool(self.cache.add(self._key("jti", iss, jti), 1, self._ttl(until)))
