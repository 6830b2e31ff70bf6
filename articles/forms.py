from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from articles.importers.base import FORMAT_LABELS, SPLIT_LABELS
from articles.importers.batches import MAX_BATCH_BYTES, MAX_FILE_BYTES, MAX_FILES
from articles.models import Column


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else single(data, initial)


class ImportDocumentsForm(forms.Form):
    files = MultipleFileField(
        label=_("Documents"),
        # An empty file is one bad file of the batch: the import reports it and carries on with the rest.
        allow_empty_file=True,
        help_text=_("Markdown (.md), plain text (.txt), or a .zip of documents with their img/ folder. Several files at once are fine."),
    )
    column = forms.ModelChoiceField(
        label=_("Import into"),
        queryset=Column.objects.order_by("title"),
        required=False,
        empty_label=_("A column of its own (created from the document)"),
    )
    format = forms.ChoiceField(label=_("Format"), choices=[("", _("Detect for each file")), *FORMAT_LABELS.items()], required=False)
    split = forms.ChoiceField(label=_("Split into articles"), choices=list(SPLIT_LABELS.items()), initial="auto")
    free_first = forms.IntegerField(
        label=_("Free articles per document"),
        min_value=0,
        max_value=999,
        required=False,
        help_text=_("Empty: the format decides (a book's first chapter is free; complete posts of a column page are free)."),
    )
    publish = forms.BooleanField(label=_("Publish at once"), required=False, initial=True)

    def clean_files(self):
        files = self.cleaned_data["files"]
        if len(files) > MAX_FILES:
            raise forms.ValidationError(_("At most %(count)d files at once.") % {"count": MAX_FILES})
        for upload in files:
            if upload.size > MAX_FILE_BYTES:
                raise forms.ValidationError(
                    _("%(name)s is %(size)s; a file may be at most %(limit)s.")
                    % {"name": upload.name, "size": filesizeformat(upload.size), "limit": filesizeformat(MAX_FILE_BYTES)}
                )
        if sum(upload.size for upload in files) > MAX_BATCH_BYTES:
            raise forms.ValidationError(_("Together the files may be at most %(limit)s.") % {"limit": filesizeformat(MAX_BATCH_BYTES)})
        return files
