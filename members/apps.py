from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Memberships")

    def ready(self):
        from members import checks, signals  # noqa: F401  (registers the system checks, connects the receivers)
