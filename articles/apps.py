from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = _("Columns and articles")

    def ready(self):
        from articles import signals  # noqa: F401  (connects the receivers)
