"""Free trials: the record that a reader has had the one trial a column gives them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Trial(models.Model):
    """A reader's free trial of a column, whichever way it was taken: a trial membership opened
    from the join page, or a Stripe subscription that starts with Stripe's trial.

    One per reader and column, enforced by the database, so two clicks at once make one trial. It
    points at no membership: deleting or replacing the membership it opened leaves this row, and
    the reader still cannot take a second trial."""

    class How(models.TextChoices):
        MEMBERSHIP = "membership", _("trial membership, no payment details")
        STRIPE = "stripe", _("Stripe subscription trial")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reader"), on_delete=models.CASCADE, related_name="trials")
    column = models.ForeignKey("articles.Column", verbose_name=_("column"), on_delete=models.PROTECT, related_name="trials")
    plan = models.ForeignKey("Plan", verbose_name=_("plan"), on_delete=models.PROTECT, related_name="trials")
    how = models.CharField(_("taken as"), max_length=20, choices=How.choices)
    reference = models.CharField(
        _("reference"), max_length=200, blank=True, help_text=_("The membership it opened, or the Stripe subscription that started with it.")
    )
    started_at = models.DateTimeField(_("started"))
    ends_at = models.DateTimeField(_("ends"))

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("free trial")
        verbose_name_plural = _("free trials")
        constraints = [models.UniqueConstraint(fields=["user", "column"], name="one_trial_per_reader_and_column")]

    def __str__(self):
        return f"{self.user} · {self.column}"
