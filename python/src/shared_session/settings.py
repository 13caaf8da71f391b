"""Where the hub is and what this app accepts, validated once at start-up."""

from __future__ import annotations

import dataclasses
import os
import urllib.parse
from typing import Any, Mapping, Optional, Tuple

from .errors import SharedSessionError

#: Asymmetric only: a consumer never holds the hub's HMAC secret, and the
#: JWKS never publishes one, so HS256 (the classic "HMAC keyed with the
#: public key" confusion) can never be chosen by a token.
ALGORITHMS = ("EdDSA", "ES256")
REVOCATION_MODES = ("auto", "required", "off")


@dataclasses.dataclass(frozen=True)
class HubSettings:
    """The consumer's configuration. Everything not given is derived from ``hub``.

    Example::

        settings = HubSettings(
            hub="https://auth.acme.com", app_origin="https://wiki.acme.com",
            audience="acme.com", client_id="wiki",
        )
        settings.jwks_url  # 'https://auth.acme.com/.well-known/jwks.json'
    """

    #: The hub's public origin, e.g. ``https://auth.acme.com`` (browsers are sent there).
    hub: str
    #: This app's public origin; return URLs are built on it, never on the Host header.
    app_origin: str
    #: The login token audience this app accepts: the hub's ``audience`` (its parent domain by default).
    audience: str
    #: This app's client id at the hub: the ``aud`` of the logout tokens it accepts. None: no back-channel logout.
    client_id: Optional[str] = None
    #: Path the hub is mounted under, if any.
    hub_base_path: str = ""
    #: Expected ``iss``. Default: the hub's origin.
    issuer: Optional[str] = None
    #: Expected ``iss`` of logout tokens: the hub's OpenID Connect issuer. Default: the hub's origin and base path.
    logout_issuer: Optional[str] = None
    #: Where this app fetches the hub's keys (an internal address is fine). Default: the hub's JWKS URL.
    jwks_url: Optional[str] = None
    #: Where this app asks the hub whether a session still lives. Default: the hub's /forward-auth.
    forward_auth_url: Optional[str] = None
    #: The token cookie. Default as the hub names it: ``__Secure-ss-token`` for an https hub, ``ss-token`` for an http one.
    cookie_name: Optional[str] = None
    #: ``auto`` (default): ask the hub's forward-auth, and verify offline while it cannot be reached;
    #: ``required``: a hub that cannot be asked is a 503; ``off``: the signature alone until ``exp``.
    revocation: str = "auto"
    #: How long one forward-auth answer is reused, in seconds.
    revocation_cache_seconds: float = 5.0
    algorithms: Tuple[str, ...] = ALGORITHMS
    #: Clock difference allowed on ``exp``, ``nbf`` and ``iat``, in seconds.
    leeway_seconds: int = 30
    #: Longest accepted ``exp - iat`` of a login token; ended sessions are remembered this long.
    max_token_lifetime_seconds: int = 86_400
    #: Longest accepted ``exp - iat`` of a logout token; replayed ``jti`` are remembered this long.
    max_logout_token_lifetime_seconds: int = 600
    #: Keys are fetched again after this long, in seconds.
    jwks_max_age_seconds: float = 300.0
    #: A token naming an unknown ``kid`` refetches the keys at most this often, in seconds.
    jwks_min_refetch_seconds: float = 10.0
    #: Every call to the hub gives up after this long, in seconds.
    timeout_seconds: float = 3.0

    def __post_init__(self) -> None:
        hub = _origin(self.hub, "hub", "https://auth.acme.com")
        app = _origin(self.app_origin, "app_origin", "https://wiki.acme.com")
        base = "/" + self.hub_base_path.strip("/") if self.hub_base_path.strip("/") else ""
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731 (frozen dataclass)
        set_("hub", hub)
        set_("app_origin", app)
        set_("hub_base_path", base)
        if not isinstance(self.audience, str) or not self.audience:
            raise _invalid("audience is required: the hub's token audience, by default its parent domain (e.g. acme.com)", "audience")
        if self.client_id is not None and (not isinstance(self.client_id, str) or not self.client_id):
            raise _invalid("client_id must be the non-empty client id registered at the hub, or None", "client_id")
        if self.revocation not in REVOCATION_MODES:
            raise _invalid(f"revocation must be one of {', '.join(REVOCATION_MODES)}, got {self.revocation!r}", "revocation")
        algorithms = tuple(self.algorithms)
        if not algorithms or any(a not in ALGORITHMS for a in algorithms):
            raise _invalid(f"algorithms must be a non-empty subset of {ALGORITHMS}, got {algorithms!r}", "algorithms")
        set_("algorithms", algorithms)
        for name in ("revocation_cache_seconds", "leeway_seconds", "max_token_lifetime_seconds", "max_logout_token_lifetime_seconds",
                     "jwks_max_age_seconds", "jwks_min_refetch_seconds", "timeout_seconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or (value == 0 and name.startswith(("max_", "timeout"))):
                raise _invalid(f"{name} must be a positive number of seconds, got {value!r}", name)
        hub_base = hub + base
        set_("issuer", self.issuer or hub)
        set_("logout_issuer", self.logout_issuer or hub_base)
        set_("jwks_url", _url(self.jwks_url, "jwks_url") or hub_base + "/.well-known/jwks.json")
        set_("forward_auth_url", _url(self.forward_auth_url, "forward_auth_url") or hub_base + "/forward-auth")
        if self.cookie_name is None:
            set_("cookie_name", "__Secure-ss-token" if hub.startswith("https://") else "ss-token")
        elif not self.cookie_name or any(c in self.cookie_name for c in ' ;=,"\t\r\n'):
            raise _invalid(f"cookie_name must be a cookie name, got {self.cookie_name!r}", "cookie_name")

    @property
    def refresh_url(self) -> str:
        """The hub's /refresh: re-issues the token while the hub session lives, else shows the sign-in form."""
        return f"{self.hub}{self.hub_base_path}/refresh"

    @property
    def logout_url(self) -> str:
        """The hub's POST /logout, for a sign-out form on this app's pages."""
        return f"{self.hub}{self.hub_base_path}/logout"

    @property
    def secure_cookies(self) -> bool:
        """Whether this app's own cookies are marked Secure: on https only (WebKit drops Secure cookies over http, ``*.localhost`` included)."""
        return self.app_origin.startswith("https://")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> "HubSettings":
        """Settings from a mapping with upper- or lower-case keys (Django's ``SHARED_SESSION``, a Flask config).

        Example::

            HubSettings.from_mapping({"HUB": "https://auth.acme.com", "APP_ORIGIN": "https://wiki.acme.com", "AUDIENCE": "acme.com"})
        """
        names = {f.name for f in dataclasses.fields(cls)}
        given = {k.lower(): v for k, v in values.items()}
        unknown = sorted(set(given) - names)
        if unknown:
            raise _invalid(f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}", unknown[0])
        for required in ("hub", "app_origin", "audience"):
            if required not in given:
                raise _invalid(f"{required.upper()} is required", required)
        return cls(**given)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ, prefix: str = "SHARED_SESSION_") -> "HubSettings":
        """Settings from environment variables such as ``SHARED_SESSION_HUB`` and ``SHARED_SESSION_AUDIENCE``.

        Example::

            settings = HubSettings.from_env()   # SHARED_SESSION_HUB=https://auth.acme.com ...
        """
        values: dict = {}
        for field in dataclasses.fields(cls):
            raw = env.get(prefix + field.name.upper())
            if raw is None or raw == "":
                continue
            if field.name == "algorithms":
                values[field.name] = tuple(a.strip() for a in raw.split(",") if a.strip())
            elif field.name.endswith("_seconds"):
                try:
                    values[field.name] = float(raw)
                except ValueError:
                    raise _invalid(f"{prefix}{field.name.upper()} must be a number of seconds, got {raw!r}", field.name) from None
            else:
                values[field.name] = raw
        for required in ("hub", "app_origin", "audience"):
            if required not in values:
                raise _invalid(f"{prefix}{required.upper()} is required", required)
        return cls(**values)


def _origin(value: Any, name: str, example: str) -> str:
    parsed = urllib.parse.urlsplit(value if isinstance(value, str) else "")
    if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.path not in ("", "/") or parsed.query or parsed.fragment or parsed.username is not None:
        raise _invalid(f"{name} must be an origin such as {example}, got {value!r}", name)
    return f"{parsed.scheme}://{parsed.netloc}".lower()


def _url(value: Optional[str], name: str) -> Optional[str]:
    if value is None or value == "":
        return None
    parsed = urllib.parse.urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise _invalid(f"{name} must be an http(s) URL, got {value!r}", name)
    return value


def _invalid(message: str, detail: str) -> SharedSessionError:
    return SharedSessionError("ERR_CONFIG_INVALID", message, detail)
