"""The hub's public keys, fetched from its JWKS, cached, and refetched on rotation."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from typing import Any, Callable, Dict, Optional, Tuple

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from .errors import SharedSessionError

log = logging.getLogger("shared_session")

#: (alg, public key) for one kid: each key verifies exactly one algorithm.
Key = Tuple[str, Any]
MAX_JWKS_BYTES = 256 * 1024


class HubKeys:
    """The hub's signing keys from its JWKS URL only (never from a token's ``jku``, ``jwk``, ``x5u`` or ``x5c``).

    Cached for ``max_age`` seconds. A token naming an unknown ``kid`` (a key
    rotation) fetches again, but at most once per ``min_refetch`` seconds, so
    tokens with made-up kids cannot make this app hammer the hub. A failed
    fetch keeps the stale keys (and is not retried for ``min_refetch``); with
    no keys at all it is ERR_HUB_UNAVAILABLE.

    Example::

        keys = HubKeys("https://auth.acme.com/.well-known/jwks.json")
        alg, public_key = keys.get("2026-11-30.abc")
    """

    def __init__(self, url: str, *, max_age: float = 300.0, min_refetch: float = 10.0, timeout: float = 3.0,
                 algorithms: Tuple[str, ...] = ("EdDSA", "ES256"), clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self.max_age = max_age
        self.min_refetch = min_refetch
        self.timeout = timeout
        self.algorithms = algorithms
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: Optional[Dict[str, Key]] = None
        self._fetched_at = float("-inf")
        self._attempted_at = float("-inf")
        self._retry_at = float("-inf")
        #: How many times the JWKS was requested (for tests and metrics).
        self.fetches = 0

    def get(self, kid: str) -> Optional[Key]:
        """The (alg, key) the hub publishes under ``kid``, or None when it publishes none."""
        with self._lock:
            now = self._clock()
            keys = self._keys
            if keys is None or (now - self._fetched_at >= self.max_age and now >= self._retry_at):
                keys = self._load(now)
            if kid in keys:
                return keys[kid]
            if now - self._attempted_at >= self.min_refetch:
                return self._load(now).get(kid)
            return None

    def _load(self, now: float) -> Dict[str, Key]:
        if self._keys is None and now < self._retry_at:
            raise SharedSessionError("ERR_HUB_UNAVAILABLE", f"the hub's keys at {self.url} could not be fetched moments ago; not asking again yet", "jwks")
        self._attempted_at = now
        self.fetches += 1
        try:
            request = urllib.request.Request(self.url, headers={"accept": "application/json"})
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (a configured http(s) URL)
                body = response.read(MAX_JWKS_BYTES + 1)
            if len(body) > MAX_JWKS_BYTES:
                raise ValueError("the JWKS is larger than 256 KiB")
            keys = parse_jwks(json.loads(body), self.algorithms)
        except Exception as err:  # network, HTTP status, JSON, no usable key: all mean "cannot get the keys"
            self._retry_at = now + self.min_refetch
            if self._keys is not None:
                log.warning("cannot refresh the hub's keys from %s (%s); using the ones fetched before", self.url, err)
                return self._keys
            raise SharedSessionError("ERR_HUB_UNAVAILABLE", f"cannot load the hub's JWKS from {self.url}: {err}", "jwks") from err
        self._keys, self._fetched_at = keys, now
        return keys


def parse_jwks(document: Any, algorithms: Tuple[str, ...] = ("EdDSA", "ES256")) -> Dict[str, Key]:
    """The usable signing keys of a JWKS document by kid. Keys without a kid or
    ``alg``, for another ``use``, of an algorithm not allowed, or whose type
    does not fit their ``alg`` are skipped; a kid published twice is dropped.

    Example::

        parse_jwks({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "...", "kid": "k1", "alg": "EdDSA", "use": "sig"}]})
    """
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError('a JWKS is a JSON object with a "keys" array')
    keys: Dict[str, Key] = {}
    seen = set()
    for jwk in document["keys"]:
        if not isinstance(jwk, dict):
            continue
        kid, alg = jwk.get("kid"), jwk.get("alg")
        if not isinstance(kid, str) or not kid or alg not in algorithms or jwk.get("use", "sig") != "sig" or "d" in jwk:
            continue
        if kid in seen:
            keys.pop(kid, None)
            continue
        seen.add(kid)
        try:
            key = jwt.PyJWK(jwk, alg).key
        except Exception:
            continue
        if _key_fits(alg, key):
            keys[kid] = (alg, key)
    if not keys:
        raise ValueError("the JWKS holds no usable signing key")
    return keys


def _key_fits(alg: str, key: Any) -> bool:
    if alg == "EdDSA":
        return isinstance(key, ed25519.Ed25519PublicKey)
    if alg == "ES256":
        return isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1)
    return False
