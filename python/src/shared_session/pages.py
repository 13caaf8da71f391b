"""The pages a person may see from this package, plain and honest."""

from __future__ import annotations

from html import escape

_PAGE = """<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}}code{{background:#f3f3f3;padding:0 .2em}}a{{color:#0645ad}}</style>
<h1>{title}</h1>
{body}
</html>
"""


def hub_unavailable_page(retry_url: str, code: str = "ERR_HUB_UNAVAILABLE") -> str:
    """The 503 page: the hub cannot be reached, so nobody can be signed in or out.

    Example::

        hub_unavailable_page("/wiki/Home")
    """
    body = (
        "<p>The sign-in service cannot be reached right now, so this site cannot tell who you are.</p>"
        "<p>Nothing is wrong with your account, and nothing you were doing was lost. "
        "Please try again in a minute.</p>"
        f'<p><a href="{escape(retry_url)}">Try again</a></p>'
        f"<p><small>Error code: <code>{escape(code)}</code></small></p>"
    )
    return _PAGE.format(title="Sign-in is unavailable", body=body)


def cannot_sign_in_page(code: str, retry_url: str) -> str:
    """The 401 page shown instead of a second trip to the hub: the browser came
    straight back still without a sign-in this app accepts (a redirect would loop).

    Example::

        cannot_sign_in_page("ERR_TOKEN_AUDIENCE", "https://auth.acme.com/refresh?return=...")
    """
    hint = (
        "Your browser holds two sign-in cookies for this site, which can happen when another site under the same domain sets one. "
        "Clearing this site's cookies fixes it."
        if code == "ERR_COOKIE_DUPLICATE"
        else "The sign-in service sent you back without a sign-in this site accepts. If this keeps happening, the site's "
        "configuration (audience, cookie name, clock) does not match the sign-in service's."
    )
    body = (
        f"<p>{escape(hint)}</p>"
        f'<p><a href="{escape(retry_url)}">Try again</a></p>'
        f"<p><small>Error code: <code>{escape(code)}</code></small></p>"
    )
    return _PAGE.format(title="Cannot sign you in", body=body)


def confirmation_failed_page(code: str, retry_url: str) -> str:
    """The 400 page of the confirmation callback: the hub's answer cannot be
    recorded for this browser (its state cookie is missing, or the answer is
    not for this app and this browser). Nothing was recorded.

    Example::

        confirmation_failed_page("ERR_CONFIRMATION_STATE", "https://wiki.acme.com/")
    """
    hint = (
        "This site could not match the sign-in service's answer to your browser: the short-lived cookie it set before "
        "sending you there is missing. Allow cookies for this site, then try again. A link from another browser does not work here."
        if code == "ERR_CONFIRMATION_STATE"
        else "The sign-in service's answer was not valid for this site and this browser (it may have expired). Please try again."
    )
    body = (
        f"<p>{escape(hint)}</p>"
        f'<p><a href="{escape(retry_url)}">Try again</a></p>'
        f"<p><small>Error code: <code>{escape(code)}</code></small></p>"
    )
    return _PAGE.format(title="Cannot confirm your sign-in", body=body)
