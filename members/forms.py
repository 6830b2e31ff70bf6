from django import forms
from django.utils.translation import gettext_lazy as _

from members.coupons import CouponError, coupon_for_checkout
from members.models.gifts import MESSAGE_MAX_CHARS


class CheckoutForm(forms.Form):
    provider = forms.ChoiceField(label=_("Pay with"), widget=forms.RadioSelect)
    gift = forms.BooleanField(label=_("Send as a gift"), required=False, help_text=_("You get a link to forward; whoever redeems it reads the column."))
    gift_message = forms.CharField(
        label=_("Message to your friend (optional)"),
        max_length=MESSAGE_MAX_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MESSAGE_MAX_CHARS}),
    )
    coupon = forms.CharField(label=_("Coupon"), max_length=64, required=False, widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    # A fresh token per rendered form: submitting the same form twice finds the same order.
    checkout_token = forms.UUIDField(widget=forms.HiddenInput)
    next = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, providers, device, plan, offers_renewal=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.fields["provider"].choices = [(provider.name, provider.label_on(device)) for provider in providers]
        if providers:
            self.fields["provider"].initial = providers[0].name
        if offers_renewal:
            # Ticked unless the reader unticks it; an unticked box is simply absent from the POST.
            self.fields["renew"] = forms.BooleanField(
                label=_("Renews automatically every year at ¥%(price)s; cancel any time in My columns.") % {"price": plan.price_yuan},
                help_text=_("For payment through Stripe. Other payment methods are paid once; you renew by hand."),
                required=False,
                initial=True,
            )

    def clean_coupon(self):
        """The usable Coupon, or None when the field was left empty."""
        raw_code = self.cleaned_data["coupon"]
        if not raw_code.strip():
            return None
        try:
            return coupon_for_checkout(raw_code=raw_code, plan=self.plan)
        except CouponError as error:
            raise forms.ValidationError(error.message, code="coupon") from error
