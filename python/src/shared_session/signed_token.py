"""The checks every hub JWT goes through (login and logout tokens alike)."""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from typing import Any, Callable, Dict, Optional, Sequence

import jwt

from .errors import SharedSessionError
from .keys import HubKeys

MAX_TOKEN_LENGTH = 8192
_PART = re.compile(r"^[A-Za-z0-9_-]*$")


def verify_signed_token(token: Any, keys: HubKeys, *, typ_ok: Callable[[Any], bool], typ_name: str, algorithms: Sequence[str],
                        issuer: str, audience: str, required: Sequence[str], leeway: int, max_lifetime: int,
                        now: Optional[float] = None) -> Dict[str, Any]:
    """Verify a compact JWS from the hub and return its claims, or raise a
    SharedSessionError naming what was wrong. The algorithm comes from the
    allow-list and must be the one the ``kid``'s key is for; the key comes
    only from the hub's JWKS.

    Example::

        claims = verify_signed_token(token, keys, typ_ok=lambda t: t == "shared-session+jwt", typ_name="shared-session+jwt",
                                     algorithms=("EdDSA",), issuer=hub, audience="acme.com",
                                     required=("iss", "aud", "sub", "iat", "exp"), leeway=30, max_lifetime=86400)
    """
    header = read_header(token)
    if "crit" in header:
        # RFC 7515 4.1.11: extensions a recipient does not understand make the token invalid; we understand none.
        raise _fail("ERR_TOKEN_MALFORMED", "the crit header names extensions this verifier does not know", "crit")
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in algorithms:
        raise _fail("ERR_TOKEN_ALGORITHM", f"algorithm {alg!r} is not allowed", "alg")
    if not typ_ok(header.get("typ")):
        raise _fail("ERR_TOKEN_TYPE", f'typ must be "{typ_name}"', "typ")
    kid = header.get("kid")
    found = keys.get(kid) if isinstance(kid, str) and kid else None
    if found is None:
        raise _fail("ERR_TOKEN_KEY_UNKNOWN", f"the hub publishes no key with kid {kid!r}", "kid")
    key_alg, key = found
    if key_alg != alg:
        raise _fail("ERR_TOKEN_ALGORITHM", f"key {kid!r} only verifies {key_alg}", "alg")
    current = time.time() if now is None else now
    try:
        # verify_exp etc. stay on; PyJWT compares with its own clock, so a fixed `now` is applied below as well.
        claims = jwt.decode(token, key, algorithms=[alg], audience=audience, issuer=issuer, leeway=leeway,
                            options={"require": list(required), "verify_exp": now is None, "verify_nbf": now is None})
    except jwt.exceptions.ExpiredSignatureError as err:
        raise _fail("ERR_TOKEN_EXPIRED", "token has expired", "exp") from err
    except jwt.exceptions.InvalidSignatureError as err:
        raise _fail("ERR_TOKEN_SIGNATURE", "token signature is not valid") from err
    except jwt.exceptions.InvalidAudienceError as err:
        raise _fail("ERR_TOKEN_AUDIENCE", f"token audience is not {audience!r}", "aud") from err
    except jwt.exceptions.InvalidIssuerError as err:
        raise _fail("ERR_TOKEN_ISSUER", f"token issuer is not {issuer!r}", "iss") from err
    except jwt.exceptions.ImmatureSignatureError as err:
        raise _fail("ERR_TOKEN_NOT_YET_VALID", "token is not valid yet", "nbf") from err
    except (jwt.exceptions.MissingRequiredClaimError, jwt.exceptions.InvalidIssuedAtError) as err:
        raise _fail("ERR_TOKEN_CLAIM_INVALID", str(err)) from err
    except jwt.exceptions.InvalidTokenError as err:
        raise _fail("ERR_TOKEN_MALFORMED", f"token is not valid: {err}") from err
    for name in ("iat", "exp", "nbf"):
        value = claims.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise _fail("ERR_TOKEN_CLAIM_INVALID", f"{name} must be a whole number of seconds", name)
    iat, exp = claims.get("iat"), claims.get("exp")
    if isinstance(iat, int) and iat > current + leeway:
        raise _fail("ERR_TOKEN_NOT_YET_VALID", "token was issued in the future", "iat")
    if isinstance(exp, int):
        if exp <= current - leeway:
            raise _fail("ERR_TOKEN_EXPIRED", "token has expired", "exp")
        if isinstance(iat, int) and (exp <= iat or exp - iat > max_lifetime):
            raise _fail("ERR_TOKEN_CLAIM_INVALID", "token lifetime is out of bounds", "exp")
    nbf = claims.get("nbf")
    if isinstance(nbf, int) and nbf > current + leeway:
        raise _fail("ERR_TOKEN_NOT_YET_VALID", "token is not valid yet", "nbf")
    return claims


def read_header(token: Any) -> Dict[str, Any]:
    """The JOSE header of a compact JWS whose three parts are canonical base64url (one spelling per token).

    Example::

        read_header("eyJhbGciOiJFZERTQSJ9.e30.c2ln")  # {'alg': 'EdDSA'}
    """
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise _fail("ERR_TOKEN_MALFORMED", "token must be a compact JWT string")
    parts = token.split(".")
    decoded = [_b64(p) for p in parts] if len(parts) == 3 else None
    if not decoded or any(d is None for d in decoded) or not parts[0] or not parts[1]:
        raise _fail("ERR_TOKEN_MALFORMED", "token must be three base64url parts")
    try:
        header = json.loads(decoded[0])  # type: ignore[arg-type]
    except ValueError:
        header = None
    if not isinstance(header, dict):
        raise _fail("ERR_TOKEN_MALFORMED", "token header is not a JSON object")
    return header


def _b64(part: str) -> Optional[bytes]:
    if not _PART.match(part) or len(part) % 4 == 1:
        return None
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        return None
    # Stray low bits in the last character give a second spelling of the same bytes: refuse it.
    return raw if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() == part else None


def _fail(code: str, message: str, detail: Optional[str] = None) -> SharedSessionError:
    return SharedSessionError(code, message, detail)
