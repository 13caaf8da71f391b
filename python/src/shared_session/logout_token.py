"""Verify an OpenID Connect Back-Channel Logout 1.0 logout token."""

from __future__ import annotations

from typing import Any, Dict, Optional

from .errors import SharedSessionError
from .keys import HubKeys
from .settings import HubSettings
from .signed_token import verify_signed_token

LOGOUT_TOKEN_TYPE = "logout+jwt"
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
REQUIRED_CLAIMS = ("iss", "aud", "iat", "exp", "jti", "events")


def verify_logout_token(token: Any, keys: HubKeys, settings: HubSettings, now: Optional[float] = None) -> Dict[str, Any]:
    """The claims of a valid logout token, checked as the specification's
    section 2.6 says: signed by a hub key (allow-listed algorithm), ``typ``
    ``logout+jwt``, ``iss`` the hub's OpenID Connect issuer, ``aud`` this app's ``client_id``,
    ``iat``, ``exp`` and ``jti`` present, ``events`` holding the back-channel
    logout event as an object, ``sid`` and/or ``sub``, and no ``nonce`` (so an
    ID token can never pass as one). Replay (the ``jti``) is the caller's part.

    Example::

        claims = verify_logout_token(form["logout_token"], keys, settings)
        claims.get("sid"), claims.get("sub")
    """
    if settings.client_id is None:
        raise SharedSessionError("ERR_LOGOUT_DISABLED", "back-channel logout needs client_id in the settings", "client_id")
    claims = verify_signed_token(
        token, keys,
        typ_ok=_is_logout_type, typ_name=LOGOUT_TOKEN_TYPE,
        algorithms=settings.algorithms, issuer=settings.logout_issuer or settings.hub, audience=settings.client_id,
        required=REQUIRED_CLAIMS, leeway=settings.leeway_seconds, max_lifetime=settings.max_logout_token_lifetime_seconds, now=now,
    )
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_LOGOUT_EVENT), dict):
        raise _invalid(f"events must be an object with a {BACKCHANNEL_LOGOUT_EVENT} object", "events")
    if "nonce" in claims:
        raise _invalid("a logout token never carries a nonce", "nonce")
    if "sid" not in claims and "sub" not in claims:
        raise _invalid("a logout token names the session (sid), the user (sub) or both", "sid")
    for name in ("sid", "sub", "jti"):
        if name in claims and (not isinstance(claims[name], str) or not claims[name] or len(claims[name]) > 512):
            raise _invalid(f"{name} must be a non-empty string", name)
    return claims


def _is_logout_type(typ: Any) -> bool:
    # RFC 7515 4.1.9: media types are case-insensitive and "application/" may be left out.
    return isinstance(typ, str) and typ.lower() in (LOGOUT_TOKEN_TYPE, "application/" + LOGOUT_TOKEN_TYPE)


def _invalid(message: str, detail: str) -> SharedSessionError:
    return SharedSessionError("ERR_LOGOUT_TOKEN_INVALID", message, detail)
