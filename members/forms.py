from django import forms
from django.utils.translation import gettext_lazy as _


class CheckoutForm(forms.Form):
    provider = forms.ChoiceField(label=_("Pay with"), widget=forms.RadioSelect)
    # A fresh token per rendered form: submitting the same form twice finds the same order.
    checkout_token = forms.UUIDField(widget=forms.HiddenInput)
    next = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [(provider.name, provider.label) for provider in providers]
        if providers:
            self.fields["provider"].initial = providers[0].name
