from django.apps import AppConfig


class SharedSessionConfig(AppConfig):
    """The Django app of the integration: the (iss, sub) → user table and its migration.

    Example::

        INSTALLED_APPS = [..., "shared_session.django"]
    """

    name = "shared_session.django"
    label = "shared_session"
    verbose_name = "shared-session"
    default_auto_field = "django.db.models.BigAutoField"
