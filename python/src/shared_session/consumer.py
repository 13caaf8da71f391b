"""The framework-neutral core: who is signed in, where to send who is not,
and the back-channel logout receiver. Flask and Django only translate."""

from __future__ import annotations

import dataclasses
import json
import re
import logging
import secrets
import time
import urllib.parse
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from .confirm import (BOUND_SECONDS, CONFIRMED, DEFAULT_CONFIRM_PATH, STATE_SECONDS, UNCONFIRMED, binding_value, confirm_cookies,
                      local_path, one_cookie, token_standing, valid_confirm_path, verify_confirmation, web_origin)
from .cookies import single_cookie
from .ended import EndedSessions, MemoryEndedSessions
from .errors import SharedSessionError
from .keys import HubKeys
from .login_token import verify_login_token
from .logout_token import verify_logout_token
from .pages import cannot_sign_in_page, confirmation_failed_page, hub_unavailable_page
from .revocation import HubRevocation
from .settings import HubSettings

log = logging.getLogger("shared_session")

#: Marks "sent to the hub just now": if the browser comes straight back still
#: without a usable token, it sees a page instead of a redirect loop.
BOUNCE_COOKIE = "ss-consumer-bounce"
BOUNCE_SECONDS = 20
PRIVATE = [("Cache-Control", "no-store"), ("Vary", "Cookie")]
#: A logout token is well under 8 KiB; a bigger back-channel body is not parsed at all.
MAX_LOGOUT_BODY = 65_536


@dataclasses.dataclass(frozen=True)
class SignedIn:
    """A verified visitor: the token's claims and this app's own user for them.

    Example::

        auth = consumer.authenticate(cookie_header)
        auth.user.id, auth.claims["sid"]
    """

    claims: Dict[str, Any]
    user: Any


@dataclasses.dataclass(frozen=True)
class Reply:
    """A response for the framework to send: status, body, content type, headers (``Set-Cookie`` repeated).

    Example::

        reply = consumer.hub_unavailable(err, api=False, retry_path="/")
        flask.Response(reply.body, reply.status, reply.headers, content_type=reply.content_type)
    """

    status: int
    body: str
    content_type: str
    headers: List[Tuple[str, str]]


class Consumer:
    """A Python app's side of the hub's sign-in: verify the token cookie,
    check revocation, find or create the local user, answer back-channel logouts.

    ``find_or_create_user(claims)`` returns this app's user for the token; key
    it by (``claims["iss"]``, ``claims["sub"]``), never by e-mail. Without
    it the claims are the user. ``on_logout(iss, sid, sub)`` is called after a
    back-channel logout has been recorded, for apps that keep sessions of
    their own (``sid`` or ``sub`` may be None).

    ``confirm`` (default True): a token is trusted in a browser only once the
    hub has vouched for its session there (token confirmation, see
    :mod:`shared_session.confirm`): any host under the parent domain can set
    the token cookie. The first time, a page navigation goes through the
    hub's ``/confirm`` and back through this app's ``confirm_path``
    (``/_session/confirm``); ``confirm=False`` trusts every host under the
    parent domain.

    Example::

        consumer = Consumer(
            HubSettings(hub="https://auth.acme.com", app_origin="https://wiki.acme.com", audience="acme.com", client_id="wiki"),
            find_or_create_user=lambda claims: users.find_or_create(claims["iss"], claims["sub"], claims["username"]),
        )
        auth = consumer.authenticate(request.headers.get("Cookie"))
    """

    def __init__(self, settings: HubSettings, *, find_or_create_user: Optional[Callable[[Dict[str, Any]], Any]] = None,
                 ended: Optional[EndedSessions] = None, on_logout: Optional[Callable[[str, Optional[str], Optional[str]], None]] = None,
                 keys: Optional[HubKeys] = None, revocation: Optional[HubRevocation] = None,
                 confirm: bool = True, confirm_path: str = DEFAULT_CONFIRM_PATH) -> None:
        if not isinstance(settings, HubSettings):
            raise SharedSessionError("ERR_CONFIG_INVALID", "settings must be a HubSettings", "settings")
        for name, hook in (("find_or_create_user", find_or_create_user), ("on_logout", on_logout)):
            if hook is not None and not callable(hook):
                raise SharedSessionError("ERR_CONFIG_INVALID", f"{name} must be a function", name)
        if not isinstance(confirm, bool):
            raise SharedSessionError("ERR_CONFIG_INVALID", f"confirm must be True or False, got {confirm!r}", "confirm")
        if not valid_confirm_path(confirm_path):
            raise SharedSessionError("ERR_CONFIG_INVALID", f'confirm_path must be a path such as "/_session/confirm", got {confirm_path!r}', "confirm_path")
        self.settings = settings
        self.confirm = confirm
        self.confirm_path = confirm_path
        #: The binding and state cookies: ``__Host-`` for an https hub (whose token cookie is ``__Secure-ss-token``).
        self.confirm_cookies = confirm_cookies(settings.hub.startswith("https://"))
        self.find_or_create_user = find_or_create_user or (lambda claims: claims)
        self.on_logout = on_logout
        self.ended: EndedSessions = ended if ended is not None else MemoryEndedSessions()
        self.keys = keys or HubKeys(settings.jwks_url or "", max_age=settings.jwks_max_age_seconds, min_refetch=settings.jwks_min_refetch_seconds,
                                    timeout=settings.timeout_seconds, algorithms=settings.algorithms)
        self.revocation = revocation or HubRevocation(settings.forward_auth_url or "", mode=settings.revocation,
                                                      cache_seconds=settings.revocation_cache_seconds, timeout=settings.timeout_seconds)

    # -- who is signed in -------------------------------------------------

    def authenticate(self, cookie_header: Optional[str]) -> SignedIn:
        """The signed-in visitor for a request's raw ``Cookie`` header, or a
        SharedSessionError: a 4xx code means "not signed in" (say why), a 5xx
        one (ERR_HUB_UNAVAILABLE) means "cannot tell now" and is never a guest.
        With ``confirm``, a valid token the hub has not vouched for in this
        browser is ERR_TOKEN_UNCONFIRMED (see :meth:`start_confirmation`), and
        one it refused is ERR_NOT_AUTHENTICATED, as if there were none.

        Example::

            try:
                auth = consumer.authenticate(environ.get("HTTP_COOKIE"))
            except SharedSessionError as err:
                ...
        """
        token = single_cookie(cookie_header, self.settings.cookie_name or "")
        if token is None:
            raise SharedSessionError("ERR_NOT_AUTHENTICATED", "no login token")
        claims = verify_login_token(token, self.keys, self.settings)
        if self._ended("is_ended", claims["iss"], claims["sid"], claims["sub"], claims["iat"]):
            raise SharedSessionError("ERR_TOKEN_REVOKED", "the hub ended this session (back-channel logout)", "sid")
        self.revocation.check(token)
        standing = token_standing(cookie_header, self.confirm_cookies, claims["sid"]) if self.confirm else CONFIRMED
        if standing == UNCONFIRMED:
            raise SharedSessionError("ERR_TOKEN_UNCONFIRMED", "the hub has not yet confirmed this token's session in this browser", "sid")
        if standing != CONFIRMED:
            # The hub was asked about this very token and vouched for another session, or none: a sibling host set it.
            log.info("a token the hub did not confirm in this browser (session %s) is ignored", claims["sid"])
            raise SharedSessionError("ERR_NOT_AUTHENTICATED", "the hub did not confirm this token's session in this browser (another host set it)")
        return SignedIn(claims=claims, user=self.find_or_create_user(claims))

    def sign_in_url(self, path_and_query: str) -> str:
        """The hub's /refresh with a return URL on this app's origin (never the Host header):
        straight back with a fresh token while the hub session lives, else via the sign-in form.

        Example::

            consumer.sign_in_url("/wiki/Home?rev=2")
            # 'https://auth.acme.com/refresh?return=https%3A%2F%2Fwiki.acme.com%2Fwiki%2FHome%3Frev%3D2'
        """
        return f"{self.settings.refresh_url}?return={urllib.parse.quote(self.return_url(path_and_query), safe='')}"

    def return_url(self, path_and_query: str) -> str:
        """``path_and_query`` on this app's origin; anything but a local path is the home page.

        Example::

            consumer.return_url("//evil.example/")  # 'https://wiki.acme.com/'
        """
        local = isinstance(path_and_query, str) and path_and_query.startswith("/") and not path_and_query.startswith("//") \
            and "\\" not in path_and_query and not any(ord(c) < 0x21 or ord(c) == 0x7F for c in path_and_query)
        return self.settings.app_origin + (path_and_query if local else "/")

    # -- the replies ------------------------------------------------------

    def not_signed_in(self, err: SharedSessionError, *, method: str, path_and_query: str, cookie_header: Optional[str], api: bool,
                      navigation: bool = False, callback_path: Optional[str] = None) -> Reply:
        """What to answer a visitor who is not signed in: a page (GET/HEAD) goes
        to the hub once, and sees a page saying why if it comes straight back
        still refused; an API call or a form post gets 401 JSON ``{"error": code}``.
        A token not yet confirmed (ERR_TOKEN_UNCONFIRMED) goes through the hub's
        ``/confirm`` on a top-level ``navigation`` (see :meth:`start_confirmation`),
        and is 401 JSON otherwise.

        Example::

            reply = consumer.not_signed_in(err, method="GET", path_and_query="/", cookie_header=header, api=False,
                                           navigation=is_top_level_navigation(method, headers))
        """
        if err.code == "ERR_TOKEN_UNCONFIRMED":
            start = None if api else self.start_confirmation(path_and_query=path_and_query, cookie_header=cookie_header,
                                                             navigation=navigation, callback_path=callback_path)
            return start or Reply(401, json.dumps({"error": err.code}), "application/json", list(PRIVATE))
        if api or method not in ("GET", "HEAD"):
            headers = PRIVATE + [("WWW-Authenticate", 'Bearer realm="shared-session", error="invalid_token"')]
            return Reply(401, json.dumps({"error": err.code}), "application/json", headers)
        target = self.sign_in_url(path_and_query)
        bounced = _has_cookie(cookie_header, BOUNCE_COOKIE)
        if bounced:
            log.warning("the hub sent the browser back without a token this app accepts: %s (%s)", err.code, err)
            return Reply(401, cannot_sign_in_page(err.code, target), "text/html; charset=utf-8", PRIVATE + [("Set-Cookie", self._bounce_cookie(0))])
        return Reply(302, "", "text/plain", PRIVATE + [("Location", target), ("Set-Cookie", self._bounce_cookie(BOUNCE_SECONDS))])

    # -- token confirmation -----------------------------------------------

    def start_confirmation(self, *, path_and_query: str, cookie_header: Optional[str], navigation: bool,
                           callback_path: Optional[str] = None) -> Optional[Reply]:
        """The round trip that asks the hub which session this browser holds, for a
        token not yet confirmed (ERR_TOKEN_UNCONFIRMED): a fresh state in the
        host-only state cookie and a 302 to the hub's ``/confirm``, whose answer
        comes back to ``callback_path`` (default ``confirm_path``) and then to
        ``path_and_query``. Only for a top-level GET ``navigation``; otherwise
        None. A second tab while a round trip is in flight (a state cookie)
        reuses its state and sets no cookie, so both answers match. Never a
        loop: the answer is recorded for this very token, so a token asks once.

        Example::

            reply = consumer.start_confirmation(path_and_query="/w/Home", cookie_header=header, navigation=True)
            # 302 to https://auth.acme.com/confirm?return=https%3A%2F%2Fwiki.acme.com%2F_session%2Fconfirm%3Freturn%3D%252Fw%252FHome&state=…
        """
        if not self.confirm or not navigation:
            return None
        in_flight = one_cookie(cookie_header, self.confirm_cookies.state)
        reuse = in_flight is not None and re.fullmatch(r"[A-Za-z0-9_-]{16,128}", in_flight) is not None
        state = in_flight if reuse else base64_state()
        callback = f"{web_origin(self.settings.app_origin)}{callback_path or self.confirm_path}?return={_quote(local_path(path_and_query))}"
        location = f"{self.settings.hub}{self.settings.hub_base_path}/confirm?return={_quote(callback)}&state={state}"
        headers = PRIVATE + [("Location", location), ("Referrer-Policy", "no-referrer")]
        if not reuse:
            headers.append(("Set-Cookie", self.confirm_cookies.set(self.confirm_cookies.state, state, STATE_SECONDS)))
        return Reply(302, "", "text/plain", headers)

    def confirmation_callback(self, *, cookie_header: Optional[str], return_path: Optional[str], confirmation: Optional[str], html: bool) -> Reply:
        """The confirmation callback (``GET confirm_path?return=…&ss-confirm=…``): checks
        the hub's answer against this browser's state cookie (none: 400
        ERR_CONFIRMATION_STATE; a bad answer: 400 ERR_CONFIRMATION_INVALID; a page
        when ``html``, JSON otherwise; nothing recorded), records it in the binding
        cookie, clears the state and goes back to ``return_path`` (a path on this app).

        Example::

            reply = consumer.confirmation_callback(cookie_header=header, return_path=request.args.get("return"),
                                                   confirmation=request.args.get("ss-confirm"), html=True)
        """
        back = local_path(return_path)
        names = self.confirm_cookies
        headers = PRIVATE + [("Referrer-Policy", "no-referrer")]
        if not self.confirm:
            return Reply(404, json.dumps({"error": "ERR_NOT_FOUND"}), "application/json", headers)
        try:
            token_sid = self._token_sid(cookie_header)
            # The second of two tabs that went together: the first one's answer already confirmed this token.
            if token_sid is not None and token_standing(cookie_header, names, token_sid) == CONFIRMED:
                return Reply(302, "", "text/plain", headers + [("Location", back)])
            state = one_cookie(cookie_header, names.state)
            if state is None:
                raise SharedSessionError("ERR_CONFIRMATION_STATE", "this browser did not ask for a confirmation (no state cookie: "
                                         "another browser's link, or cookies are off)", names.state)
            if not confirmation:
                raise SharedSessionError("ERR_CONFIRMATION_INVALID", "the ss-confirm parameter is missing", "ss-confirm")
            claims = verify_confirmation(confirmation, self.keys, issuer=self.settings.issuer or self.settings.hub,
                                         audience=web_origin(self.settings.app_origin), nonce=state,
                                         leeway=self.settings.leeway_seconds, algorithms=self.settings.algorithms)
        except SharedSessionError as err:
            if err.status >= 500:
                return self.hub_unavailable(err, api=not html, retry_path=back)
            log.warning("confirmation refused: %s (%s)", err.code, err)
            status = err.status
            if html:
                return Reply(status, confirmation_failed_page(err.code, self.return_url(back)), "text/html; charset=utf-8", headers)
            return Reply(status, json.dumps({"error": err.code}), "application/json", headers)
        binding = names.set(names.bound, binding_value(claims.get("sid"), token_sid), BOUND_SECONDS)
        return Reply(302, "", "text/plain", headers + [("Location", back), ("Set-Cookie", binding), ("Set-Cookie", names.set(names.state, "", 0))])

    def _token_sid(self, cookie_header: Optional[str]) -> Optional[str]:
        """The ``sid`` of the request's valid token (one cookie, verifying), or None."""
        token = one_cookie(cookie_header, self.settings.cookie_name or "")
        if token is None:
            return None
        try:
            return verify_login_token(token, self.keys, self.settings)["sid"]
        except SharedSessionError as err:
            if err.status >= 500:
                raise
            return None

    def hub_unavailable(self, err: SharedSessionError, *, api: bool, retry_path: str = "/") -> Reply:
        """The 503 for a hub (or the ended-sessions store) that cannot be reached: an honest
        page for a person, ``{"error": "ERR_HUB_UNAVAILABLE"}`` for a program; logged.

        Example::

            reply = consumer.hub_unavailable(err, api=True)
        """
        log.error("hub unavailable: %s", err)
        headers = PRIVATE + [("Retry-After", "5")]
        code = err.code if err.status >= 500 else "ERR_HUB_UNAVAILABLE"
        if api:
            return Reply(503, json.dumps({"error": code}), "application/json", headers)
        return Reply(503, hub_unavailable_page(self.return_url(retry_path), code), "text/html; charset=utf-8", headers)

    def signed_in_headers(self, cookie_header: Optional[str]) -> List[Tuple[str, str]]:
        """Headers for any response to a signed-in visitor: private, and the
        bounce marker cleared once the trip through the hub worked.

        Example::

            for name, value in consumer.signed_in_headers(header): response.headers.add(name, value)
        """
        return PRIVATE + ([("Set-Cookie", self._bounce_cookie(0))] if _has_cookie(cookie_header, BOUNCE_COOKIE) else [])

    def _bounce_cookie(self, max_age: int) -> str:
        secure = "; Secure" if self.settings.secure_cookies else ""
        return f"{BOUNCE_COOKIE}={'1' if max_age else ''}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax{secure}"

    # -- back-channel logout ----------------------------------------------

    def receive_logout(self, logout_token: Any) -> Dict[str, Any]:
        """Verify a logout token, refuse a replayed ``jti``, and end what it names:
        the session ``sid`` when given, else every session of ``sub`` issued until
        then. Returns the claims; raises SharedSessionError otherwise.

        Example::

            claims = consumer.receive_logout(request.form["logout_token"])
        """
        claims = verify_logout_token(logout_token, self.keys, self.settings)
        now = time.time()
        # Recorded under the login tokens' issuer, which is what authenticate() looks up (the hub's
        # OpenID Connect issuer carries its base path, the login token's need not).
        iss = self.settings.issuer or self.settings.hub
        if not self._ended("first_use", iss, claims["jti"], claims["exp"] + self.settings.leeway_seconds + 1):
            raise SharedSessionError("ERR_LOGOUT_TOKEN_REPLAYED", "this logout token was used before", "jti")
        until = now + self.settings.max_token_lifetime_seconds + self.settings.leeway_seconds
        sid, sub = claims.get("sid"), claims.get("sub")
        if sid is not None:
            self._ended("end_session", iss, sid, until)
        else:
            self._ended("end_subject", iss, sub, claims["iat"], until)
        log.info("back-channel logout: session %s of user %s ended", sid or "*", sub or "?")
        if self.on_logout is not None:
            self.on_logout(iss, sid, sub)
        return claims

    def _ended(self, operation: str, *args: Any) -> Any:
        # The ended-sessions store being down (a locked SQLite file, an unreachable cache) is a 503, never a 500 or a pass.
        try:
            return getattr(self.ended, operation)(*args)
        except SharedSessionError:
            raise
        except Exception as err:
            raise SharedSessionError("ERR_STORE_UNAVAILABLE", f"the ended-sessions store failed ({operation}): {err}", "ended") from err

    def backchannel_logout(self, *, method: str, content_type: Optional[str], logout_tokens: Union[Sequence[str], Callable[[], Sequence[str]]],
                           content_length: Optional[int] = None) -> Reply:
        """The whole back-channel logout endpoint: POST, form-encoded, one
        ``logout_token``. 200 when the session ended; 400 with an OAuth-style
        error body when the token is invalid or replayed; always ``no-store``.
        ``logout_tokens`` may be a function, so a body over 64 KiB
        (``content_length``) is refused before the framework parses it.

        Example::

            reply = consumer.backchannel_logout(method=request.method, content_type=request.content_type,
                                                logout_tokens=request.form.getlist("logout_token"))
        """
        headers = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]
        if method != "POST":
            return Reply(405, json.dumps({"error": "invalid_request", "error_description": "use POST"}), "application/json", headers + [("Allow", "POST")])
        try:
            if (content_type or "").split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
                raise SharedSessionError("ERR_LOGOUT_TOKEN_INVALID", "the body must be application/x-www-form-urlencoded", "content-type")
            if content_length is not None and content_length > MAX_LOGOUT_BODY:
                raise SharedSessionError("ERR_LOGOUT_TOKEN_INVALID", f"the body is larger than {MAX_LOGOUT_BODY} bytes", "content-length")
            if callable(logout_tokens):
                logout_tokens = logout_tokens()
            if len(logout_tokens) != 1:
                raise SharedSessionError("ERR_LOGOUT_TOKEN_INVALID", "exactly one logout_token is required", "logout_token")
            self.receive_logout(logout_tokens[0])
        except SharedSessionError as err:
            if err.status >= 500:
                log.error("back-channel logout not processed: %s", err)
                return Reply(503, json.dumps({"error": "temporarily_unavailable", "code": err.code}), "application/json", headers + [("Retry-After", "5")])
            log.warning("back-channel logout refused: %s (%s)", err.code, err)
            body = {"error": "invalid_request", "error_description": str(err), "code": err.code}
            return Reply(404 if err.code == "ERR_LOGOUT_DISABLED" else 400, json.dumps(body), "application/json", headers)
        return Reply(200, "", "text/plain", headers)


def base64_state() -> str:
    """A fresh confirmation state: 16 random bytes in base64url (22 characters)."""
    return secrets.token_urlsafe(16)


def _quote(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def _has_cookie(header: Optional[str], name: str) -> bool:
    try:
        return single_cookie(header, name) is not None
    except SharedSessionError:
        return True
