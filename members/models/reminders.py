"""Renewal reminders: emails before and when a membership that nothing renews by itself ends."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RenewalReminder(models.Model):
    """One reminder about one end date of one membership. The row exists before the email is sent,
    and the database refuses a second one for the same kind and end date, so a reminder goes once
    however often (or however concurrently) the reminders are looked for. A renewal moves the end
    date, and the reminders about the new one are new rows."""

    class Kind(models.TextChoices):
        WEEK_BEFORE = "7_days", _("7 days before the end")
        DAY_BEFORE = "1_day", _("1 day before the end")
        EXPIRED = "expired", _("on expiry")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        SENDING = "sending", _("being sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed, will be retried")
        ABANDONED = "abandoned", _("given up")
        SKIPPED = "skipped", _("not sent: renewed, revoked or switched off")

    membership = models.ForeignKey("Membership", verbose_name=_("membership"), on_delete=models.CASCADE, related_name="renewal_reminders")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    ends_at = models.DateTimeField(_("membership ends"), help_text=_("The end date this reminder is about."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modified"), auto_now=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("renewal reminder")
        verbose_name_plural = _("renewal reminders")
        constraints = [models.UniqueConstraint(fields=["membership", "kind", "ends_at"], name="one_renewal_reminder_per_kind_and_end")]
        indexes = [models.Index(fields=["status", "updated_at"], name="renewal_reminder_queue_idx")]

    def __str__(self):
        return f"{self.membership} · {self.get_kind_display()}"
