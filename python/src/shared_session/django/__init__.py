"""Django integration: add ``"shared_session.django"`` to ``INSTALLED_APPS``,
``"shared_session.django.middleware.SharedSessionMiddleware"`` after
Django's ``AuthenticationMiddleware``, include ``shared_session.django.urls``
and set ``LOGIN_URL = "shared_session:sign-in"``; configure the hub in
``settings.SHARED_SESSION``. Then ``@login_required`` sends visitors to the
hub's sign-in and ``request.user`` is the local user for the hub's token.

Example::

    SHARED_SESSION = {"HUB": "https://auth.acme.com", "APP_ORIGIN": "https://blog.acme.com", "AUDIENCE": "acme.com", "CLIENT_ID": "blog"}
"""
