from django import forms
from django.utils.translation import gettext_lazy as _

from articles.models.comments import BODY_MAX_CHARS


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        max_length=BODY_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Markdown: *emphasis*, **bold**, `code`, > quotes, lists and links. No images."),
        error_messages={"required": _("Write something first."), "max_length": _("Keep it under %(limit_value)d characters (it has %(show_value)d).")},
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ReportForm(forms.Form):
    reason = forms.CharField(
        label=_("What is wrong with this comment?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say briefly why you report it.")},
    )


class CommentEmailSettingsForm(forms.Form):
    email_replies = forms.BooleanField(label=_("Email me when someone replies to my comment"), required=False)
    email_digest = forms.BooleanField(label=_("Email me a digest of new comments on my columns"), required=False)
