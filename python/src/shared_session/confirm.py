"""Token confirmation: tell the hub's token from one a sibling host tossed.

Any host under the parent domain can set the parent-domain token cookie, and
a token it copied from its own sign-in verifies as well as the hub's. So the
first time a browser shows this app a token's session, the app asks the
hub, in one top-level round trip, which session this browser holds there,
and records the answer in a host-only cookie of its own (``__Host-ss-bound``
on https) that no sibling can set. The protocol is the same in every
language: ``docs/security.md``, "Token-only apps confirm the token with the hub".
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import re
from typing import Any, Dict, Mapping, Optional

from .cookies import single_cookie
from .errors import SharedSessionError
from .keys import HubKeys
from .signed_token import verify_signed_token

#: The JOSE ``typ`` of the hub's answer: no login, ID or logout token passes as one.
CONFIRMATION_TYPE = "shared-session-confirm+jwt"
#: The query parameter that carries the hub's answer back to the callback.
CONFIRMATION_PARAM = "ss-confirm"
#: The callback's path unless told otherwise.
DEFAULT_CONFIRM_PATH = "/_session/confirm"
#: How long a binding lasts without a new confirmation (a new session confirms anew anyway).
BOUND_SECONDS = 30 * 86_400
#: How long a confirmation round trip may take.
STATE_SECONDS = 120
#: A confirmation lives a minute at the hub; anything much longer was not made by it.
MAX_CONFIRMATION_LIFETIME = 300

CONFIRMED, REFUSED, UNCONFIRMED = "confirmed", "refused", "unconfirmed"
_BINDING = re.compile(r"^([A-Za-z0-9_-]{22}|-)\.([A-Za-z0-9_-]{22}|-)$")
_PATH = re.compile(r"^/[A-Za-z0-9._~/-]*$")


@dataclasses.dataclass(frozen=True)
class ConfirmCookies:
    """The two host-only cookies of token confirmation: ``bound`` records what the
    hub vouched for, ``state`` ties its answer to the browser that asked.
    ``__Host-`` and ``Secure`` for an https hub (whose token is ``__Secure-ss-token``),
    plain names for an http one.

    Example::

        confirm_cookies(True).bound  # '__Host-ss-bound'
    """

    bound: str
    state: str
    secure: bool

    def set(self, name: str, value: str, max_age: int) -> str:
        """A ``Set-Cookie`` value for one of the two (``max_age`` 0 clears it).

        Example::

            cookies.set(cookies.state, "AAAA...", STATE_SECONDS)
        """
        secure = "; Secure" if self.secure else ""
        return f"{name}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax{secure}"


def confirm_cookies(secure: bool) -> ConfirmCookies:
    """The :class:`ConfirmCookies` for a hub that marks its cookies Secure (https) or not.

    Example::

        confirm_cookies(settings.hub.startswith("https://")).state  # '__Host-ss-confirm'
    """
    prefix = "__Host-" if secure else ""
    return ConfirmCookies(bound=f"{prefix}ss-bound", state=f"{prefix}ss-confirm", secure=secure)


def sid_digest(sid: str) -> str:
    """D(sid): the first 22 characters of the base64url SHA-256 of the session id, as every language computes it.

    Example::

        sid_digest("s_1")  # 22 base64url characters
    """
    digest = hashlib.sha256(sid.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()[:22]


def binding_value(hub_sid: Optional[str], token_sid: Optional[str]) -> str:
    """The binding cookie's value: ``D(hub session).D(token's session)``, ``-`` for none.

    Example::

        binding_value(None, "sid-of-mallory")  # '-.Xy…' (this token is refused here)
    """
    return ".".join("-" if sid is None else sid_digest(sid) for sid in (hub_sid, token_sid))


def one_cookie(header: Optional[str], name: str) -> Optional[str]:
    """Cookie ``name``'s value; absent, empty or present twice (a sibling host set one) is None.

    Example::

        one_cookie("ss-bound=a; ss-bound=b", "ss-bound")  # None
    """
    try:
        return single_cookie(header, name)
    except SharedSessionError:
        return None


def token_standing(cookie_header: Optional[str], cookies: ConfirmCookies, sid: str) -> str:
    """What this browser's binding says of a verified token's ``sid``: ``confirmed``
    (the hub vouched for that session here), ``refused`` (the hub was asked about
    this very token and vouched for another session or none) or ``unconfirmed``
    (not asked yet). Two binding cookies, or a malformed one, count as none.

    Example::

        if token_standing(header, cookies, claims["sid"]) == CONFIRMED: ...
    """
    match = _BINDING.match(one_cookie(cookie_header, cookies.bound) or "")
    if not match:
        return UNCONFIRMED
    digest = sid_digest(sid)
    if match.group(1) == digest:
        return CONFIRMED
    return REFUSED if match.group(2) == digest else UNCONFIRMED


def verify_confirmation(token: Any, keys: HubKeys, *, issuer: str, audience: str, nonce: str, leeway: int,
                        algorithms: Any = ("EdDSA", "ES256"), now: Optional[float] = None) -> Dict[str, Any]:
    """The claims of the hub's confirmation for this app (``aud`` its origin) and this
    browser (``nonce`` its state cookie), or ERR_CONFIRMATION_INVALID. A ``kid`` not
    known yet fetches the JWKS again (as for login tokens); a hub whose keys cannot
    be fetched at all is ERR_HUB_UNAVAILABLE.

    Example::

        claims = verify_confirmation(jwt, keys, issuer=hub, audience="https://wiki.acme.com", nonce=state, leeway=30)
        claims.get("sid")  # the hub's signed-in session in this browser, or None
    """
    try:
        claims = verify_signed_token(
            token, keys, typ_ok=lambda typ: typ == CONFIRMATION_TYPE, typ_name=CONFIRMATION_TYPE, algorithms=algorithms,
            issuer=issuer, audience=audience, required=("iss", "aud", "iat", "exp", "jti", "nonce"), leeway=leeway,
            max_lifetime=MAX_CONFIRMATION_LIFETIME, now=now,
        )
    except SharedSessionError as err:
        if err.status >= 500:
            raise
        raise SharedSessionError("ERR_CONFIRMATION_INVALID", f"the confirmation does not verify: {err.code}: {err}", CONFIRMATION_PARAM) from err
    got = claims.get("nonce")
    if not isinstance(got, str) or not hmac.compare_digest(got.encode(), nonce.encode()):
        raise SharedSessionError("ERR_CONFIRMATION_INVALID", "the confirmation was asked for by another browser (its state is not this browser's)", "nonce")
    sid = claims.get("sid")
    if sid is not None and (not isinstance(sid, str) or not sid or len(sid) > 512):
        raise SharedSessionError("ERR_CONFIRMATION_INVALID", "sid must be a non-empty string", "sid")
    return claims


def is_top_level_navigation(method: str, headers: Mapping[str, str]) -> bool:
    """A browser's top-level GET navigation: ``Sec-Fetch-Mode: navigate`` (to a
    document), or, from a browser that sends no ``Sec-Fetch-*``, ``Accept`` with
    ``text/html``. ``headers`` is a case-insensitive mapping (Flask's, Django's).

    Example::

        is_top_level_navigation(request.method, request.headers)
    """
    if method != "GET":
        return False
    mode = headers.get("Sec-Fetch-Mode")
    if mode is not None:
        dest = headers.get("Sec-Fetch-Dest")
        return mode == "navigate" and (dest is None or dest == "document")
    return "text/html" in (headers.get("Accept") or "")


def local_path(value: Any) -> str:
    """``value`` when it is a path on this app (``/``, not ``//`` or ``/\\``, no control
    characters, at most 2048 characters), else ``/``: the callback never sends a browser elsewhere.

    Example::

        local_path("//evil.example/")  # '/'
    """
    ok = isinstance(value, str) and value.startswith("/") and not value.startswith(("//", "/\\")) and len(value) <= 2048 \
        and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in value)
    return value if ok else "/"


def valid_confirm_path(path: Any) -> bool:
    """Whether ``path`` can be the callback's path (``/`` then letters, digits, ``._~/-``).

    Example::

        valid_confirm_path("/_session/confirm")  # True
    """
    return isinstance(path, str) and bool(_PATH.match(path))


def web_origin(origin: str) -> str:
    """An origin as browsers (and the hub's ``aud``) spell it: without a default port.

    Example::

        web_origin("https://wiki.acme.com:443")  # 'https://wiki.acme.com'
    """
    for scheme, port in (("https://", ":443"), ("http://", ":80")):
        if origin.startswith(scheme) and origin.endswith(port):
            return origin[: -len(port)]
    return origin
