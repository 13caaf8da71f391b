"""A Flask app that trusts the shared-session hub's login token.

The hub signs a short-lived JWT into a cookie on the parent domain
(``Domain=acme.com``). This app, on ``wiki.acme.com``, reads that cookie,
verifies it against the hub's published keys (JWKS) and finds or creates its
own local user, keyed by (issuer, subject): never by e-mail, which a user can
change and another account can reuse. No valid token on a page means a
redirect to the hub's ``/refresh``, which re-issues the token while the hub
session lives and otherwise shows the login form.

Configuration comes from the environment (see README.md); run it with
``/usr/bin/python3 app.py``. Needs Flask, PyJWT and ``cryptography``
(Debian: python3-flask python3-jwt python3-cryptography).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Optional

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from flask import Flask, Response, jsonify, make_response, redirect, render_template_string, request

# The hub's `typ` header: no other JWT signed by the same key (an ID token, an
# access token) passes as a login token.
TOKEN_TYPE = "shared-session+jwt"
# Explicit allow-list; each key additionally pins its own algorithm below, so a
# token can never pick how it is checked (no "none", no HS256 with a public key).
ALGORITHMS = ("EdDSA", "ES256")
REQUIRED_CLAIMS = ["iss", "aud", "sub", "iat", "exp", "jti", "sid"]
LEEWAY_SECONDS = 30
MAX_LIFETIME_SECONDS = 86_400
MAX_TOKEN_LENGTH = 8192
# A short-lived marker set when this app sends the browser to the hub. If the
# browser comes straight back still without a usable token (a misconfigured
# audience, a clock far off), it sees an error page instead of a redirect loop.
BOUNCE_COOKIE = "ss-consumer-bounce"
BOUNCE_SECONDS = 20

log = logging.getLogger("shared-session-consumer")


class NotLoggedIn(Exception):
    """No usable token: treat the visitor as not logged in. `code` names why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class HubUnavailable(Exception):
    """The hub (JWKS or forward-auth) could not be asked: a 503, never an anonymous user."""


@dataclass(frozen=True)
class Config:
    hub_origin: str
    jwks_url: str
    issuer: str
    audience: str
    cookie_name: str
    app_origin: str
    database: str
    host: str
    port: int
    revocation: str
    forward_auth_url: str

    @staticmethod
    def from_env(env: Any = os.environ) -> "Config":
        """Read and check the configuration once, at start-up, with messages that say what to change."""
        hub_origin = _origin(env.get("HUB_ORIGIN"), "HUB_ORIGIN", "https://auth.acme.com")
        app_origin = _origin(env.get("APP_ORIGIN"), "APP_ORIGIN", "https://wiki.acme.com")
        audience = env.get("AUDIENCE", "")
        if not audience:
            raise SystemExit("AUDIENCE is required: the hub's token audience, by default its parent domain (e.g. acme.com)")
        revocation = env.get("REVOCATION", "off").lower() or "off"
        if revocation not in ("off", "hub"):
            raise SystemExit('REVOCATION must be "hub" (ask the hub\'s /forward-auth on every request) or "off"')
        port_text = env.get("PORT", "5000")
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise SystemExit(f"PORT must be a TCP port number, got {port_text!r}")
        return Config(
            hub_origin=hub_origin,
            jwks_url=env.get("JWKS_URL") or hub_origin + "/.well-known/jwks.json",
            issuer=env.get("ISSUER") or hub_origin,
            audience=audience,
            cookie_name=env.get("COOKIE_NAME") or "__Secure-ss-token",
            app_origin=app_origin,
            database=env.get("DATABASE") or "consumer.sqlite",
            host=env.get("HOST") or "127.0.0.1",
            port=int(port_text),
            revocation=revocation,
            # Where this app reaches the hub's forward-auth; an internal address is fine.
            forward_auth_url=env.get("FORWARD_AUTH_URL") or hub_origin + "/forward-auth",
        )


def _origin(value: Optional[str], name: str, example: str) -> str:
    parsed = urllib.parse.urlsplit(value or "")
    if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.path not in ("", "/") or parsed.query or parsed.username:
        raise SystemExit(f"{name} must be an origin such as {example}, got {value!r}")
    return f"{parsed.scheme}://{parsed.netloc}".lower()


class HubKeys(jwt.PyJWKClient):
    """PyJWKClient (caches the JWKS, refetches on an unknown kid) with a timeout
    on the fetch, a clear error when the hub is down, and at most one refetch
    per `refetch_interval`, so tokens with made-up kids cannot make this app
    hammer the hub."""

    def __init__(self, uri: str, timeout: float = 5.0, refetch_interval: float = 10.0) -> None:
        super().__init__(uri, cache_jwk_set=True, lifespan=300)
        self.timeout = timeout
        self.refetch_interval = refetch_interval
        self._last_fetch = float("-inf")
        self._lock = threading.Lock()

    def fetch_data(self) -> Any:
        self._last_fetch = time.monotonic()
        try:
            req = urllib.request.Request(self.uri, headers={"accept": "application/json"})
            with urllib.request.urlopen(req, timeout=self.timeout) as response:
                data = json.load(response)
            jwt.PyJWKSet.from_dict(data)  # refuse an unusable set before caching it
        except Exception as err:  # network, HTTP status, JSON, or no usable key: all mean "hub unavailable"
            raise HubUnavailable(f"cannot load the hub's JWKS from {self.uri}: {err}") from err
        if self.jwk_set_cache is not None:
            self.jwk_set_cache.put(data)
        return data

    def key_for(self, kid: str) -> Optional[jwt.PyJWK]:
        """The hub's key with this kid, or None when the hub does not publish one."""
        with self._lock:
            keys = self.get_jwk_set().keys
            match = self.match_kid(keys, kid)
            if match is None and time.monotonic() - self._last_fetch >= self.refetch_interval:
                match = self.match_kid(self.get_jwk_set(refresh=True).keys, kid)
        if match is not None and match.public_key_use not in ("sig", None):
            return None
        return match


def _key_fits(alg: str, key: Any) -> bool:
    if alg == "EdDSA":
        return isinstance(key, ed25519.Ed25519PublicKey)
    if alg == "ES256":
        return isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1)
    return False


class TokenVerifier:
    """Verifies login tokens exactly as the hub's own verifier does."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.keys = HubKeys(config.jwks_url)

    def verify(self, token: Optional[str]) -> dict:
        if not token:
            raise NotLoggedIn("ERR_NOT_AUTHENTICATED", "no login token")
        if len(token) > MAX_TOKEN_LENGTH:
            raise NotLoggedIn("ERR_TOKEN_MALFORMED", "token too large")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.exceptions.InvalidTokenError as err:
            raise NotLoggedIn("ERR_TOKEN_MALFORMED", f"token is malformed: {err}") from err
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise NotLoggedIn("ERR_TOKEN_ALGORITHM", f"algorithm {alg!r} is not allowed")
        if header.get("typ") != TOKEN_TYPE:
            raise NotLoggedIn("ERR_TOKEN_TYPE", f'typ must be "{TOKEN_TYPE}"')
        kid = header.get("kid")
        # Keys only ever come from the configured JWKS: jku, jwk, x5u and x5c headers are never read.
        jwk = self.keys.key_for(kid) if isinstance(kid, str) and kid else None
        if jwk is None:
            raise NotLoggedIn("ERR_TOKEN_KEY_UNKNOWN", f"the hub publishes no key with kid {kid!r}")
        if not _key_fits(alg, jwk.key):
            raise NotLoggedIn("ERR_TOKEN_ALGORITHM", f"key {kid!r} does not verify {alg}")
        try:
            claims = jwt.decode(
                token,
                jwk.key,
                algorithms=[alg],  # one of ALGORITHMS, and the one this key is for
                audience=self.config.audience,
                issuer=self.config.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.exceptions.ExpiredSignatureError as err:
            raise NotLoggedIn("ERR_TOKEN_EXPIRED", "token has expired") from err
        except jwt.exceptions.InvalidSignatureError as err:
            raise NotLoggedIn("ERR_TOKEN_SIGNATURE", "token signature is not valid") from err
        except jwt.exceptions.InvalidAudienceError as err:
            raise NotLoggedIn("ERR_TOKEN_AUDIENCE", f"token audience is not {self.config.audience!r}") from err
        except jwt.exceptions.InvalidIssuerError as err:
            raise NotLoggedIn("ERR_TOKEN_ISSUER", f"token issuer is not {self.config.issuer!r}") from err
        except jwt.exceptions.ImmatureSignatureError as err:
            raise NotLoggedIn("ERR_TOKEN_NOT_YET_VALID", str(err)) from err
        except jwt.exceptions.MissingRequiredClaimError as err:
            raise NotLoggedIn("ERR_TOKEN_CLAIM_INVALID", str(err)) from err
        except jwt.exceptions.InvalidTokenError as err:
            raise NotLoggedIn("ERR_TOKEN_MALFORMED", f"token is not valid: {err}") from err
        _check_claims(claims)
        return claims


def _check_claims(claims: dict) -> None:
    iat, exp = claims["iat"], claims["exp"]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (iat, exp)):
        raise NotLoggedIn("ERR_TOKEN_CLAIM_INVALID", "iat and exp must be whole numbers of seconds")
    if exp <= iat or exp - iat > MAX_LIFETIME_SECONDS:
        raise NotLoggedIn("ERR_TOKEN_CLAIM_INVALID", "token lifetime is out of bounds")
    for name in ("sub", "jti", "sid", "username"):
        value = claims.get(name)
        if not isinstance(value, str) or not value or len(value) > 512:
            raise NotLoggedIn("ERR_TOKEN_CLAIM_INVALID", f"{name} must be a non-empty string")
    for name in ("email", "name"):
        if claims.get(name) is not None and not isinstance(claims[name], str):
            raise NotLoggedIn("ERR_TOKEN_CLAIM_INVALID", f"{name} must be a string")


def check_not_revoked(config: Config, token: str) -> None:
    """Ask the hub whether the token's session still lives (REVOCATION=hub)."""
    req = urllib.request.Request(config.forward_auth_url, headers={"authorization": f"Bearer {token}", "accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as response:
            if response.status == 200:
                return
            raise HubUnavailable(f"forward-auth answered {response.status}")
    except urllib.error.HTTPError as err:
        if err.code != 401:
            raise HubUnavailable(f"forward-auth answered {err.code}") from err
        try:
            code = json.load(err).get("error") or "ERR_TOKEN_REVOKED"
        except Exception:
            code = "ERR_TOKEN_REVOKED"
        raise NotLoggedIn(str(code), "the hub no longer accepts this token") from err
    except (urllib.error.URLError, OSError) as err:
        raise HubUnavailable(f"cannot reach the hub's forward-auth at {config.forward_auth_url}: {err}") from err


SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  iss        TEXT NOT NULL,
  sub        TEXT NOT NULL,
  username   TEXT NOT NULL,
  email      TEXT,
  name       TEXT,
  created_at INTEGER NOT NULL,
  seen_at    INTEGER NOT NULL,
  UNIQUE (iss, sub)
)
"""


class LocalUsers:
    """This app's own users in its own SQLite file, found or created by (iss, sub)."""

    def __init__(self, path: str) -> None:
        self.path = path
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=5, isolation_level=None)
        conn.row_factory = sqlite3.Row
        return conn

    def find_or_create(self, claims: dict) -> tuple[sqlite3.Row, bool]:
        """The local user for the token's (iss, sub), with username, e-mail and
        name refreshed from the token; `created` tells whether it is new."""
        now = int(time.time())
        profile = (claims["username"], claims.get("email"), claims.get("name"))
        key = (claims["iss"], claims["sub"])
        conn = self._connect()
        try:
            # One write transaction: two first requests of the same user at once create one row.
            conn.execute("BEGIN IMMEDIATE")
            created = conn.execute(
                "INSERT INTO users (iss, sub, username, email, name, created_at, seen_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (iss, sub) DO NOTHING",
                (*key, *profile, now, now),
            ).rowcount == 1
            if not created:
                conn.execute("UPDATE users SET username = ?, email = ?, name = ?, seen_at = ? WHERE iss = ? AND sub = ?", (*profile, now, *key))
            row = conn.execute("SELECT * FROM users WHERE iss = ? AND sub = ?", key).fetchone()
            conn.execute("COMMIT")
            return row, created
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()


PAGE = """<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>Wiki</title>
<h1>Hello, {{ user['name'] or user['username'] }}</h1>
<p data-testid="user" data-local-id="{{ user['id'] }}">{{ user['username'] }} (local user #{{ user['id'] }})</p>
<form method="post" action="{{ hub }}/logout">
  <input type="hidden" name="return" value="{{ home }}">
  <button>Log out</button>
</form>
"""

TROUBLE = """<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>Cannot sign you in</title>
<h1>Cannot sign you in</h1>
<p>The sign-in service sent you back without a login this app accepts (<code>{{ code }}</code>).</p>
<p><a href="{{ login }}">Try again</a></p>
"""


def create_app(config: Config) -> Flask:
    app = Flask(__name__)
    verifier = TokenVerifier(config)
    users = LocalUsers(config.database)
    app_host = urllib.parse.urlsplit(config.app_origin).hostname or ""
    # Browsers keep Secure cookies over https and on *.localhost (a secure context even over http).
    secure = config.app_origin.startswith("https://") or app_host == "localhost" or app_host.endswith(".localhost")

    def current_user() -> tuple[sqlite3.Row, bool, dict]:
        token = request.cookies.get(config.cookie_name)
        claims = verifier.verify(token)
        if config.revocation == "hub":
            check_not_revoked(config, token)  # type: ignore[arg-type]  (verify() refused a missing token)
        user, created = users.find_or_create(claims)
        return user, created, claims

    def refresh_url() -> str:
        # Built from the configured APP_ORIGIN, never from the Host header.
        path = urllib.parse.quote(request.path, safe="/:@!$&'()*+,;=-._~")  # '%' re-encoded: request.path is already decoded
        query = request.query_string.decode("latin-1")
        back = config.app_origin + path + (f"?{query}" if query else "")
        return f"{config.hub_origin}/refresh?return={urllib.parse.quote(back, safe='')}"

    def private(response: Response) -> Response:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Vary"] = "Cookie"
        return response

    def not_logged_in_page(err: NotLoggedIn) -> Response:
        login = refresh_url()
        if request.method not in ("GET", "HEAD"):
            return private(make_response(jsonify(error=err.code), 401))
        if request.cookies.get(BOUNCE_COOKIE):
            # We sent this browser to the hub moments ago and it came back still without a
            # token we accept (wrong AUDIENCE or COOKIE_NAME, clocks far apart, a parent
            # domain that does not cover this host): another redirect would loop. Say so.
            log.warning("hub returned an unusable token: %s (%s)", err.code, err)
            response = make_response(render_template_string(TROUBLE, code=err.code, login=login), 401)
            response.delete_cookie(BOUNCE_COOKIE, path="/", secure=secure, httponly=True, samesite="Lax")
            return private(response)
        response = redirect(login, 302)
        response.set_cookie(BOUNCE_COOKIE, "1", max_age=BOUNCE_SECONDS, path="/", secure=secure, httponly=True, samesite="Lax")
        return private(response)

    def hub_down(err: HubUnavailable) -> Response:
        log.error("hub unavailable: %s", err)
        response = make_response(jsonify(error="ERR_HUB_UNAVAILABLE"), 503)
        response.headers["Retry-After"] = "5"
        return private(response)

    def signed_in(response: Response) -> Response:
        if request.cookies.get(BOUNCE_COOKIE):
            response.delete_cookie(BOUNCE_COOKIE, path="/", secure=secure, httponly=True, samesite="Lax")
        return private(response)

    @app.get("/")
    def home() -> Response:
        try:
            user, _, _ = current_user()
        except NotLoggedIn as err:
            return not_logged_in_page(err)
        except HubUnavailable as err:
            return hub_down(err)
        page = render_template_string(PAGE, user=user, hub=config.hub_origin, home=config.app_origin + "/")
        return signed_in(make_response(page))

    @app.get("/api/me")
    def me() -> Response:
        try:
            user, created, claims = current_user()
        except NotLoggedIn as err:
            response = make_response(jsonify(error=err.code), 401)
            response.headers["WWW-Authenticate"] = 'Bearer realm="shared-session", error="invalid_token"'
            return private(response)
        except HubUnavailable as err:
            return hub_down(err)
        body = {
            "local_id": user["id"],
            "iss": user["iss"],
            "sub": user["sub"],
            "username": user["username"],
            "email": user["email"],
            "name": user["name"],
            "created": created,
        }
        return private(make_response(jsonify(body)))

    return app


def create_app_from_env() -> Flask:
    """The app configured from the environment, for WSGI servers."""
    return create_app(Config.from_env())


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    config = Config.from_env()
    app = create_app(config)
    log.info("consumer for %s on %s (listening on %s:%d, revocation %s)", config.hub_origin, config.app_origin, config.host, config.port, config.revocation)
    # Flask's development server; in production run `gunicorn 'app:create_app_from_env()'` or waitress.
    app.run(host=config.host, port=config.port, threaded=True)


if __name__ == "__main__":
    main()
