"""Turn the core's framework-neutral replies into Django responses."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from ..consumer import Reply


def to_django(reply: Reply) -> HttpResponse:
    """A Django response for a core Reply, every Set-Cookie kept.

    Example::

        return to_django(consumer.hub_unavailable(err, api=True))
    """
    response = HttpResponse(reply.body, status=reply.status, content_type=reply.content_type)
    for name, value in reply.headers:
        if name == "Set-Cookie":
            response.cookies.load(value.split(";", 1)[0])
            morsel = response.cookies[value.split("=", 1)[0]]
            for attribute in value.split(";")[1:]:
                key, _, val = attribute.strip().partition("=")
                morsel[{"max-age": "max-age", "path": "path", "samesite": "samesite", "httponly": "httponly", "secure": "secure"}[key.lower()]] = val or True
        else:
            response[name] = value
    return response


def wants_json(request: HttpRequest) -> bool:
    """A program rather than a person: the request does not accept HTML.

    Example::

        wants_json(request)  # True for fetch('/api/me') without an Accept header
    """
    return "text/html" not in request.headers.get("Accept", "")
