"""The prices at which readers join a column."""

from django.contrib import admin
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from members.money import yuan


class Plan(models.Model):
    """A price at which a reader can join a column. Money is whole fen."""

    class Kind(models.TextChoices):
        LIFETIME = "lifetime", pgettext_lazy("plan kind", "lifetime")
        ANNUAL = "annual", pgettext_lazy("plan kind", "annual")

    column = models.ForeignKey("articles.Column", verbose_name=_("column"), on_delete=models.CASCADE, related_name="plans")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    price_fen = models.PositiveIntegerField(_("price (fen)"))
    is_active = models.BooleanField(_("on sale"), default=True)
    trial_days = models.PositiveSmallIntegerField(
        _("free trial (days)"),
        default=0,
        help_text=_(
            "0 for none. A reader new to the column may read everything for this many days without paying, once per column; "
            "an annual plan bought through Stripe with automatic renewal starts with the same trial and is charged when it ends."
        ),
    )

    class Meta:
        ordering = ["column", "kind"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        constraints = [
            models.UniqueConstraint(fields=["column", "kind"], name="unique_plan_kind_per_column"),
            models.CheckConstraint(condition=Q(price_fen__gt=0), name="plan_price_positive"),
        ]

    def __str__(self):
        return f"{self.column} · {self.get_kind_display()} · ¥{self.price_yuan}"

    @property
    @admin.display(description=_("price (yuan)"), ordering="price_fen")
    def price_yuan(self) -> str:
        return yuan(self.price_fen)
