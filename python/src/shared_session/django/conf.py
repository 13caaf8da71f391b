"""The one Consumer of a Django project, built from ``settings.SHARED_SESSION`` on first use."""

from __future__ import annotations

import threading
from typing import Any, Dict, Optional

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from ..consumer import Consumer
from ..errors import SharedSessionError
from ..settings import HubSettings
from .ended import DjangoCacheEndedSessions

#: Keys of SHARED_SESSION that are Django hooks rather than HubSettings fields.
HOOKS = {
    "FIND_OR_CREATE_USER": "shared_session.django.users.find_or_create_user",
    "ON_LOGOUT": None,
    "ENDED_SESSIONS_CACHE": "default",
    "CONFIRM": True,
}

_lock = threading.Lock()
_consumer: Optional[Consumer] = None


def get_consumer() -> Consumer:
    """The project's Consumer (hub settings checked once, with a message that says what to change).

    Example::

        from shared_session.django.conf import get_consumer
        get_consumer().settings.hub  # 'https://auth.acme.com'
    """
    global _consumer
    with _lock:
        if _consumer is None:
            _consumer = build_consumer(getattr(settings, "SHARED_SESSION", None))
        return _consumer


def build_consumer(config: Any) -> Consumer:
    """A Consumer for a ``SHARED_SESSION`` dict: hub settings plus the hooks in :data:`HOOKS`.

    Example::

        build_consumer({"HUB": "https://auth.acme.com", "APP_ORIGIN": "https://blog.acme.com", "AUDIENCE": "acme.com"})
    """
    if not isinstance(config, dict):
        raise ImproperlyConfigured('settings.SHARED_SESSION must be a dict, e.g. {"HUB": "https://auth.acme.com", "APP_ORIGIN": ..., "AUDIENCE": "acme.com"}')
    values: Dict[str, Any] = {k.upper(): v for k, v in config.items()}
    hooks = {name: values.pop(name, default) for name, default in HOOKS.items()}
    try:
        hub_settings = HubSettings.from_mapping(values)
        find_or_create = _hook(hooks["FIND_OR_CREATE_USER"], "FIND_OR_CREATE_USER")
        on_logout = _hook(hooks["ON_LOGOUT"], "ON_LOGOUT")
        return Consumer(hub_settings, find_or_create_user=find_or_create, on_logout=on_logout,
                        ended=DjangoCacheEndedSessions(hooks["ENDED_SESSIONS_CACHE"]), confirm=hooks["CONFIRM"])
    except SharedSessionError as err:
        raise ImproperlyConfigured(f"SHARED_SESSION: {err}") from err


def _hook(value: Any, name: str) -> Any:
    if value is None or callable(value):
        return value
    try:
        return import_string(value)
    except ImportError as err:
        raise ImproperlyConfigured(f"SHARED_SESSION {name}: cannot import {value!r} ({err})") from err


def confirm_path() -> str:
    """Where the token confirmation callback is: ``shared_session:confirm`` as the
    project's URLconf includes it (``/auth/confirm`` under ``path("auth/", ...)``).

    Example::

        confirm_path()  # '/auth/confirm'
    """
    try:
        return reverse("shared_session:confirm")
    except NoReverseMatch:
        return get_consumer().confirm_path


def reset_consumer() -> None:
    """Forget the Consumer, so the next request builds it from the current settings (tests).

    Example::

        with override_settings(SHARED_SESSION={...}): reset_consumer()
    """
    global _consumer
    with _lock:
        _consumer = None
