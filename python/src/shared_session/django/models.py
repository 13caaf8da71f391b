from django.conf import settings
from django.db import models


class HubIdentity(models.Model):
    """Which local user a hub identity is: (``iss``, ``sub``), never an e-mail address.

    Example::

        HubIdentity.objects.get(iss="https://auth.acme.com", sub="u_42").user
    """

    iss = models.CharField(max_length=512)
    sub = models.CharField(max_length=512)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hub_identity")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["iss", "sub"], name="shared_session_identity_iss_sub")]

    def __str__(self) -> str:
        return f"{self.sub} at {self.iss}"
