"""Ask the hub whether a token's session still lives (its /forward-auth), with a short cache."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from typing import Callable, Dict, Optional, Tuple

from .errors import STATUS, SharedSessionError

log = logging.getLogger("shared_session")


class HubRevocation:
    """The revocation check. ``mode`` ``auto``: ask the hub, and while it
    cannot be reached verify offline (logged; the token still lives only until
    its ``exp``); ``required``: a hub that cannot be asked is ERR_HUB_UNAVAILABLE;
    ``off``: never ask. One answer is reused for ``cache_seconds``; after a
    failure the hub is not asked again for ``cache_seconds`` either, so a hub
    that hangs does not cost every request a timeout.

    Example::

        revocation = HubRevocation("https://auth.acme.com/forward-auth", mode="auto")
        revocation.check(token)   # raises ERR_TOKEN_REVOKED after a logout at the hub
    """

    def __init__(self, url: str, *, mode: str = "auto", cache_seconds: float = 5.0, timeout: float = 3.0,
                 max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self.mode = mode
        self.cache_seconds = cache_seconds
        self.timeout = timeout
        self._max = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._answers: Dict[str, Tuple[Optional[str], float]] = {}  # token hash -> (error code or None, until)
        self._down_until = float("-inf")
        #: How many times the hub was asked (for tests and metrics).
        self.requests = 0

    def check(self, token: str) -> None:
        """Return if the hub says the token's session lives (or cannot be asked in ``auto`` mode); raise otherwise."""
        if self.mode == "off":
            return
        key = hashlib.sha256(token.encode()).hexdigest()
        now = self._clock()
        with self._lock:
            cached = self._answers.get(key)
            down = now < self._down_until
        if cached and cached[1] > now:
            return _raise_for(cached[0])
        if down:
            return self._unreachable("the hub could not be asked moments ago")
        try:
            code = self._ask(token)
        except _Unreachable as err:
            with self._lock:
                self._down_until = now + self.cache_seconds
            return self._unreachable(str(err))
        with self._lock:
            self._answers.pop(key, None)
            self._answers[key] = (code, now + self.cache_seconds)
            while len(self._answers) > self._max:
                del self._answers[next(iter(self._answers))]
        _raise_for(code)

    def _ask(self, token: str) -> Optional[str]:
        """None when the hub accepts the token, else its error code."""
        self.requests += 1
        request = urllib.request.Request(self.url, headers={"authorization": f"Bearer {token}", "accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (a configured http(s) URL)
                if response.status == 200:
                    return None
                raise _Unreachable(f"forward-auth answered {response.status}")
        except urllib.error.HTTPError as err:
            if err.code != 401:
                raise _Unreachable(f"forward-auth answered {err.code}") from err
            try:
                code = json.loads(err.read(4096)).get("error")
            except Exception:
                code = None
            # Only a code that means "no credential" counts; anything else is read as revoked.
            return code if isinstance(code, str) and code in STATUS and 400 <= STATUS[code] < 500 else "ERR_TOKEN_REVOKED"
        except (urllib.error.URLError, OSError, ValueError) as err:
            raise _Unreachable(f"cannot reach the hub's forward-auth at {self.url}: {err}") from err

    def _unreachable(self, reason: str) -> None:
        if self.mode == "required":
            raise SharedSessionError("ERR_HUB_UNAVAILABLE", f"revocation check failed: {reason}", "forward-auth")
        log.warning("revocation not checked (%s); trusting the token's signature until its exp", reason)


class _Unreachable(Exception):
    pass


def _raise_for(code: Optional[str]) -> None:
    if code is not None:
        raise SharedSessionError(code, "the hub no longer accepts this token", "forward-auth")
