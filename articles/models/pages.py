"""What kept reader pages need from the database (articles/page_cache/)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PageGeneration(models.Model):
    """The content generation every kept reader page was built in (articles/page_cache): a single
    row, moved on in the same transaction as any change to what the pages show, so that no failure
    of the cache can lose the change, and every process and node reads it from here."""

    value = models.BigIntegerField(_("generation"), default=0)

    class Meta:
        verbose_name = _("page generation")
        verbose_name_plural = _("page generations")

    def __str__(self):
        return str(self.value)
