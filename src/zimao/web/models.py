"""What the portal keeps about a person beyond Django's user: the phone number they gave when
registering, encrypted at rest (PIPL) with its mask for display."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zimao.core.protected import EncryptedTextField


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_profile")
    phone = EncryptedTextField(blank=True, default="")
    phone_masked = models.CharField(max_length=20, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("portal profile")

    def __str__(self):
        return f"{self.user} {self.phone_masked}"
