"""The views: sign-in (Django's LOGIN_URL), the token confirmation callback, back-channel logout, and a decorator for JSON APIs."""

from __future__ import annotations

import functools
from typing import Any, Callable

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from ..confirm import CONFIRMATION_PARAM, is_top_level_navigation
from ..errors import SharedSessionError
from .conf import confirm_path, get_consumer
from .replies import to_django


def sign_in(request: HttpRequest) -> HttpResponse:
    """``LOGIN_URL``: ``?next=/path`` goes to the hub's sign-in and back to
    ``/path`` on this app's origin. Once only: a browser that comes straight
    back still refused sees a page saying why instead of a loop.

    Example::

        LOGIN_URL = "shared_session:sign-in"
    """
    consumer = get_consumer()
    next_path = request.GET.get("next") or "/"
    if getattr(request, "shared_session", None) is not None:
        return HttpResponse(status=302, headers={"Location": consumer.return_url(next_path), "Cache-Control": "no-store"})
    err = getattr(request, "shared_session_error", None) or SharedSessionError("ERR_NOT_AUTHENTICATED", "no login token")
    return to_django(consumer.not_signed_in(err, method="GET", path_and_query=next_path, cookie_header=request.META.get("HTTP_COOKIE"), api=False,
                                            navigation=is_top_level_navigation(request.method or "", request.headers), callback_path=confirm_path()))


def confirm(request: HttpRequest) -> HttpResponse:
    """The token confirmation callback (``shared_session:confirm``, GET): the hub's
    answer is checked against this browser's state cookie and recorded in the
    host-only binding cookie, then back to ``?return=`` (a path on this app).
    400 ``ERR_CONFIRMATION_STATE`` or ``ERR_CONFIRMATION_INVALID`` otherwise (a
    page for a browser, JSON for a program).

    Example::

        # the hub → 302 https://blog.acme.com/auth/confirm?return=%2Fdrafts&ss-confirm=eyJ…
    """
    if request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET", "Cache-Control": "no-store"})
    return to_django(get_consumer().confirmation_callback(
        cookie_header=request.META.get("HTTP_COOKIE"), return_path=request.GET.get("return"), confirmation=request.GET.get(CONFIRMATION_PARAM),
        html=is_top_level_navigation(request.method, request.headers) or "text/html" in request.headers.get("Accept", ""),
    ))


@csrf_exempt  # server to server from the hub; the logout token's signature is the proof
def backchannel_logout(request: HttpRequest) -> HttpResponse:
    """POST ``logout_token`` (OpenID Connect Back-Channel Logout 1.0): 200
    when the session ended, 400 for an invalid or replayed token, ``no-store``.

    Example::

        # the hub: shared-session clients add blog --backchannel-logout-uri https://blog.acme.com/auth/backchannel-logout
    """
    length = request.META.get("CONTENT_LENGTH") or ""
    return to_django(get_consumer().backchannel_logout(
        method=request.method or "", content_type=request.content_type, content_length=int(length) if length.isdigit() else None,
        logout_tokens=lambda: request.POST.getlist("logout_token"),
    ))


def api_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For JSON views: 401 ``{"error": code}`` instead of a redirect when the visitor is not signed in through the hub.

    Example::

        @api_login_required
        def me(request): return JsonResponse({"username": request.user.username})
    """

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request, "shared_session", None) is None:
            err = getattr(request, "shared_session_error", None) or SharedSessionError("ERR_NOT_AUTHENTICATED", "no login token")
            return to_django(get_consumer().not_signed_in(err, method=request.method or "GET", path_and_query="/",
                                                          cookie_header=request.META.get("HTTP_COOKIE"), api=True))
        return view(request, *args, **kwargs)

    return wrapped
