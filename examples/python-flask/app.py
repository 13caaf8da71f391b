"""A Flask app signed in and out by the shared-session hub, through the
``shared_session`` package (``pip install ./python``).

The hub signs a short-lived token into a cookie on the parent domain; the
package verifies it against the hub's JWKS, asks the hub whether the session
still lives, and receives the hub's back-channel logouts. This file keeps
only what is the app's own: its users (in SQLite, keyed by (iss, sub), never
by e-mail) and its pages. Configuration comes from the environment (README.md).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
import time
from typing import Any, Mapping

from flask import Flask, jsonify, render_template_string

from shared_session import HubSettings, SharedSessionError, SqliteEndedSessions
from shared_session.flask import SharedSession

log = logging.getLogger("wiki")

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
    """This app's own users, found or created by (iss, sub); the profile is refreshed from each token."""

    def __init__(self, path: str) -> None:
        self.path = path
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=5, isolation_level=None)
        conn.row_factory = sqlite3.Row
        return conn

    def find_or_create(self, claims: dict) -> dict:
        now = int(time.time())
        key = (claims["iss"], claims["sub"])
        profile = (claims["username"], claims.get("email"), claims.get("name"))
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")  # two first requests of one user at once create one row
            created = conn.execute(
                "INSERT INTO users (iss, sub, username, email, name, created_at, seen_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (iss, sub) DO NOTHING",
                (*key, *profile, now, now),
            ).rowcount == 1
            if not created:
                conn.execute("UPDATE users SET username = ?, email = ?, name = ?, seen_at = ? WHERE iss = ? AND sub = ?", (*profile, now, *key))
            row = conn.execute("SELECT * FROM users WHERE iss = ? AND sub = ?", key).fetchone()
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()
        return {**dict(row), "created": created}


PAGE = """<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>Wiki</title>
<h1>Hello, {{ user['name'] or user['username'] }}</h1>
<p data-testid="user" data-local-id="{{ user['id'] }}">{{ user['username'] }} (local user #{{ user['id'] }})</p>
<form method="post" action="{{ logout }}">
  <input type="hidden" name="return" value="{{ home }}">
  <button>Sign out</button>
</form>
"""


def settings_from_env(env: Mapping[str, str]) -> HubSettings:
    """The package's settings from this example's environment variables."""
    revocation = {"hub": "required", "": "auto"}.get(env.get("REVOCATION", ""), env.get("REVOCATION", ""))
    return HubSettings(
        hub=env.get("HUB_ORIGIN", ""),
        app_origin=env.get("APP_ORIGIN", ""),
        audience=env.get("AUDIENCE", ""),
        client_id=env.get("CLIENT_ID") or None,
        issuer=env.get("ISSUER") or None,
        jwks_url=env.get("JWKS_URL") or None,
        forward_auth_url=env.get("FORWARD_AUTH_URL") or None,
        cookie_name=env.get("COOKIE_NAME") or None,
        revocation=revocation,
        revocation_cache_seconds=float(env.get("REVOCATION_CACHE_SECONDS") or 5),
        jwks_min_refetch_seconds=float(env.get("JWKS_MIN_REFETCH_SECONDS") or 10),
    )


def create_app(env: Mapping[str, str] = os.environ) -> Flask:
    settings = settings_from_env(env)
    database = env.get("DATABASE") or "wiki.sqlite"
    users = LocalUsers(database)
    app = Flask(__name__)
    # Ended sessions live in the same SQLite file, so every worker process refuses them at once.
    # Token confirmation (on unless CONFIRM=off) mounts GET /_session/confirm: the hub vouches that a token is this browser's.
    shared = SharedSession(app, settings, find_or_create_user=users.find_or_create, ended=SqliteEndedSessions(database),
                           confirm=env.get("CONFIRM", "on") != "off")

    @app.get("/")
    @shared.login_required
    def home() -> Any:
        user = shared.current().user
        return render_template_string(PAGE, user=user, logout=settings.logout_url, home=settings.app_origin + "/")

    @app.get("/api/me")
    @shared.login_required(api=True)
    def me() -> Any:
        user = shared.current().user
        return jsonify({k: user[k] for k in ("iss", "sub", "username", "email", "name", "created")} | {"local_id": user["id"]})

    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    try:
        app = create_app()
        host, port = os.environ.get("HOST") or "127.0.0.1", int(os.environ.get("PORT") or "5000")
    except (SharedSessionError, ValueError) as err:  # a setting the package or float()/int() refused: say which, no traceback
        raise SystemExit(f"configuration: {err}") from None
    log.info("wiki on %s:%d", host, port)
    # Flask's development server; in production: gunicorn 'app:create_app()'.
    app.run(host=host, port=port, threaded=True)


if __name__ == "__main__":
    main()
