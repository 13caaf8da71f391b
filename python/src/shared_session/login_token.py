"""Verify the hub's login token exactly as the hub's own verifier does."""

from __future__ import annotations

from typing import Any, Dict, Optional

from .errors import SharedSessionError
from .keys import HubKeys
from .settings import HubSettings
from .signed_token import verify_signed_token

#: The hub's JOSE ``typ``: no other JWT signed by the same key (an ID token,
#: an access token, a logout token) passes as a login token.
LOGIN_TOKEN_TYPE = "shared-session+jwt"
REQUIRED_CLAIMS = ("iss", "aud", "sub", "iat", "exp", "jti", "sid")


def verify_login_token(token: Any, keys: HubKeys, settings: HubSettings, now: Optional[float] = None) -> Dict[str, Any]:
    """The claims of a valid login token (``iss``, ``sub``, ``sid``, ``username``,
    ``email``, ``name`` ...), or a SharedSessionError whose code names exactly
    what was wrong (ERR_TOKEN_EXPIRED, ERR_TOKEN_AUDIENCE, ...).

    Example::

        claims = verify_login_token(cookie_value, keys, settings)
        claims["username"]  # 'alice'
    """
    claims = verify_signed_token(
        token, keys,
        typ_ok=lambda typ: typ == LOGIN_TOKEN_TYPE, typ_name=LOGIN_TOKEN_TYPE,
        algorithms=settings.algorithms, issuer=settings.issuer or settings.hub, audience=settings.audience,
        required=REQUIRED_CLAIMS, leeway=settings.leeway_seconds, max_lifetime=settings.max_token_lifetime_seconds, now=now,
    )
    for name in ("sub", "jti", "sid", "username"):
        value = claims.get(name)
        if not isinstance(value, str) or not value or len(value) > 512:
            raise SharedSessionError("ERR_TOKEN_CLAIM_INVALID", f"{name} must be a non-empty string", name)
    for name in ("email", "name"):
        if claims.get(name) is not None and not isinstance(claims[name], str):
            raise SharedSessionError("ERR_TOKEN_CLAIM_INVALID", f"{name} must be a string", name)
    return claims
