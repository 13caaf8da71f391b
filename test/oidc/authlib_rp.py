"""A relying party of the hub's OpenID Connect provider, written the way a
Flask team would: Debian's python3-authlib (authlib.integrations.flask_client)
with the hub's discovery document, the authorization code flow with PKCE S256,
a confidential client (client_secret_basic), and RP-initiated logout.

Configuration, from the environment:

  HUB_ISSUER      the hub's issuer, as browsers reach it (http://auth.acme.localhost:PORT)
  HUB_BACKEND     optional: where this server reaches the same hub (http://127.0.0.1:PORT).
                  Browsers resolve *.localhost to loopback, Python's resolver does not,
                  so every server-to-server call (discovery, token, JWKS, userinfo) to
                  HUB_ISSUER is sent to HUB_BACKEND; the issuer itself is unchanged.
  CLIENT_ID, CLIENT_SECRET   the client registered at the hub
  APP_ORIGIN      this app's public origin (http://authlib.localhost:PORT)
  SECRET_KEY      signs Flask's session cookie
  HOST, PORT      where to listen

Routes: / (the signed-in user or a sign-in link), /login, /callback, /logout,
/api/me (the session's user as JSON, for tests and readiness checks).
"""

import os
from html import escape
from urllib.parse import urlencode

from authlib.integrations.flask_client import OAuth
from authlib.integrations.flask_client.apps import FlaskOAuth2App
from authlib.integrations.requests_client import OAuth2Session
from flask import Flask, jsonify, redirect, session

ISSUER = os.environ["HUB_ISSUER"].rstrip("/")
BACKEND = os.environ.get("HUB_BACKEND", "").rstrip("/")
APP_ORIGIN = os.environ["APP_ORIGIN"].rstrip("/")


class HubSession(OAuth2Session):
    """Authlib's requests session, sending calls to the issuer to HUB_BACKEND."""

    def request(self, method, url, *args, **kwargs):
        if BACKEND and url.startswith(ISSUER + "/"):
            url = BACKEND + url[len(ISSUER):]
        return super().request(method, url, *args, **kwargs)


class HubApp(FlaskOAuth2App):
    client_cls = HubSession


class HubOAuth(OAuth):
    oauth2_client_cls = HubApp


app = Flask(__name__)
app.secret_key = os.environ["SECRET_KEY"]
app.config.update(SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_HTTPONLY=True)

oauth = HubOAuth(app)
oauth.register(
    "hub",
    client_id=os.environ["CLIENT_ID"],
    client_secret=os.environ["CLIENT_SECRET"],
    server_metadata_url=ISSUER + "/.well-known/openid-configuration",
    client_kwargs={
        "scope": "openid profile email",
        "code_challenge_method": "S256",
        "token_endpoint_auth_method": "client_secret_basic",
    },
)


@app.get("/")
def home():
    user = session.get("user")
    if user:
        body = (
            f'<p>Signed in as <span data-testid="user">{escape(user.get("preferred_username", ""))}</span>'
            f' (<span data-testid="sub">{escape(user["sub"])}</span>)</p>'
            '<a data-testid="logout" href="/logout">Sign out</a>'
        )
    else:
        body = '<p><span data-testid="user">anonymous</span></p><a data-testid="login" href="/login">Sign in with the hub</a>'
    return f"<!doctype html><title>Authlib RP</title>{body}", 200, {"cache-control": "no-store"}


@app.get("/login")
def login():
    return oauth.hub.authorize_redirect(APP_ORIGIN + "/callback")


@app.get("/callback")
def callback():
    # Checks state, sends the code with the PKCE verifier and the secret, and
    # verifies the ID token (signature against the JWKS, iss, aud, nonce, at_hash).
    token = oauth.hub.authorize_access_token()
    claims = dict(token["userinfo"])
    info = oauth.hub.userinfo(token=token)
    if info["sub"] != claims["sub"]:
        return "userinfo is about someone else", 502
    session.clear()
    session["user"] = {**claims, **info}
    session["id_token"] = token["id_token"]
    return redirect("/")


@app.get("/logout")
def logout():
    id_token = session.pop("id_token", None)
    session.clear()
    params = {"post_logout_redirect_uri": APP_ORIGIN + "/", "client_id": oauth.hub.client_id}
    if id_token:
        params["id_token_hint"] = id_token
    end_session = oauth.hub.load_server_metadata()["end_session_endpoint"]
    return redirect(end_session + "?" + urlencode(params))


@app.get("/api/me")
def me():
    user = session.get("user")
    return (jsonify(user), 200) if user else (jsonify(None), 401)


if __name__ == "__main__":
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ["PORT"]))
