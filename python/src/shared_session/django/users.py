"""The default find-or-create hook: a Django user per hub identity (``iss``, ``sub``)."""

from __future__ import annotations

import hashlib
import re
from typing import Any, Dict

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from .models import HubIdentity


def find_or_create_user(claims: Dict[str, Any]) -> Any:
    """The local user linked to the token's (``iss``, ``sub``), created on the
    first visit with an unusable password (they sign in at the hub only).
    Never matched by e-mail or by username: a local "alice" made in the admin
    is not the hub's alice; the new user gets ``alice-<hash>`` instead. The
    e-mail is refreshed from the token.

    Example::

        SHARED_SESSION = {..., "FIND_OR_CREATE_USER": "shared_session.django.users.find_or_create_user"}
    """
    iss, sub = claims["iss"], claims["sub"]
    identity = HubIdentity.objects.select_related("user").filter(iss=iss, sub=sub).first()
    if identity is None:
        try:
            with transaction.atomic():
                identity = HubIdentity.objects.create(iss=iss, sub=sub, user=_new_user(claims))
        except IntegrityError:  # the same identity's first two requests at once: the other one created it
            identity = HubIdentity.objects.select_related("user").get(iss=iss, sub=sub)
    user = identity.user
    email = claims.get("email") or ""
    if user.email != email:
        user.email = email
        user.save(update_fields=["email"])
    return user


def _new_user(claims: Dict[str, Any]) -> Any:
    User = get_user_model()
    wanted = re.sub(r"[^\w.@+-]", "_", claims["username"])[:120] or "user"
    username = wanted
    if User.objects.filter(**{User.USERNAME_FIELD: username}).exists():
        username = f"{wanted}-{hashlib.sha256((claims['iss'] + chr(10) + claims['sub']).encode()).hexdigest()[:10]}"
    name = (claims.get("name") or "").strip()
    first, _, last = name.partition(" ")
    user = User(**{User.USERNAME_FIELD: username})
    for field, value in (("email", claims.get("email") or ""), ("first_name", first[:150]), ("last_name", last[:150])):
        if hasattr(user, field):
            setattr(user, field, value)
    user.set_unusable_password()
    user.save()
    return user
