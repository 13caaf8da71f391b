"""Real keys, real tokens and a real HTTP hub stand-in for the unit tests.

The integration tests (test/python/*.test.ts) run the package against the
real hub; these unit tests pin the package's own rules (caching, bounds,
every refusal) where a real hub cannot be steered: a JWKS that rotates on
cue, a forward-auth that answers what the test says, a clock that moves
only when told.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Optional

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from shared_session import HubSettings, sid_digest

HUB = "http://auth.acme.localhost:4000"
APP = "http://wiki.acme.localhost:5000"
AUDIENCE = "acme.localhost"
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class SigningKey:
    """A hub-like signing key: Ed25519 (EdDSA) or P-256 (ES256), with its public JWK."""

    def __init__(self, alg: str = "EdDSA", kid: Optional[str] = None) -> None:
        self.alg = alg
        self.kid = kid or f"2026-11-30.{uuid.uuid4().hex[:8]}"
        if alg == "EdDSA":
            self.private = ed25519.Ed25519PrivateKey.generate()
            algorithm = jwt.algorithms.OKPAlgorithm
        else:
            self.private = ec.generate_private_key(ec.SECP256R1())
            algorithm = jwt.algorithms.ECAlgorithm
        self.jwk = {**json.loads(algorithm.to_jwk(self.private.public_key())), "kid": self.kid, "alg": alg, "use": "sig"}

    def sign(self, claims: Dict[str, Any], typ: str = "shared-session+jwt", headers: Optional[Dict[str, Any]] = None) -> str:
        return jwt.encode(claims, self.private, algorithm=self.alg, headers={"kid": self.kid, "typ": typ, **(headers or {})})

    def sign_raw(self, header: Dict[str, Any], claims: Dict[str, Any]) -> str:
        """Any header at all (PyJWT's encoder refuses some), signed with this key."""
        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
        signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
        signature = jwt.algorithms.get_default_algorithms()[self.alg].sign(signing_input.encode(), self.private)
        return f"{signing_input}.{b64(signature)}"


def login_claims(**overrides: Any) -> Dict[str, Any]:
    now = int(time.time())
    claims = {"iss": HUB, "aud": AUDIENCE, "sub": "u_42", "iat": now, "exp": now + 900, "jti": uuid.uuid4().hex,
              "sid": "sid-1", "username": "alice", "email": "alice@acme.example", "name": "Alice"}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def logout_claims(**overrides: Any) -> Dict[str, Any]:
    now = int(time.time())
    claims = {"iss": HUB, "aud": "wiki", "iat": now, "exp": now + 120, "jti": uuid.uuid4().hex,
              "events": {LOGOUT_EVENT: {}}, "sid": "sid-1", "sub": "u_42"}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def bound(sid: Optional[str] = "sid-1", refused: Optional[str] = None) -> str:
    """The binding cookie (http: ``ss-bound``) of a browser in which the hub
    confirmed session ``sid`` (and, when asked about it, refused ``refused``).

    Example::

        "ss-token=" + token + "; " + bound("sid-1")
    """
    part = lambda s: "-" if s is None else sid_digest(s)  # noqa: E731
    return f"ss-bound={part(sid)}.{part(refused)}"


class FakeHub:
    """A local HTTP server with the hub's two endpoints a consumer calls:
    ``/.well-known/jwks.json`` (the keys in ``self.keys``) and ``/forward-auth``
    (answers ``self.forward_auth``: 200, or 401 with an error code). Counts requests."""

    def __init__(self) -> None:
        self.keys = [SigningKey()]
        self.forward_auth: Any = 200
        self.jwks_status = 200
        self.hits: Dict[str, int] = {"jwks": 0, "forward-auth": 0}
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                if self.path == "/.well-known/jwks.json":
                    hub.hits["jwks"] += 1
                    self._send(hub.jwks_status, {"keys": [k.jwk for k in hub.keys]})
                elif self.path == "/forward-auth":
                    hub.hits["forward-auth"] += 1
                    answer = hub.forward_auth
                    self._send(200, {}) if answer == 200 else self._send(*answer)
                else:
                    self._send(404, {"error": "ERR_NOT_FOUND"})

            def _send(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def key(self) -> SigningKey:
        return self.keys[0]

    def settings(self, **overrides: Any) -> HubSettings:
        values: Dict[str, Any] = dict(hub=HUB, app_origin=APP, audience=AUDIENCE, client_id="wiki",
                                      jwks_url=self.url + "/.well-known/jwks.json", forward_auth_url=self.url + "/forward-auth", revocation="off")
        values.update(overrides)
        return HubSettings(**values)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    return f"http://127.0.0.1:{port}"


class Clock:
    """A clock that moves only when told."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
