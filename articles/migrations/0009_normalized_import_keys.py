"""Import keys made by title ("<source>#<title>") become the normalized form the importer now uses
("<source>#t:<letters and digits, case-folded>"), so a re-import finds these articles again even
when the source respaces or repunctuates a title. Numbered keys ("<source>#010") stay as they are.

The normalization is copied here, not imported: later changes to the importer must not change
what this migration did.
"""

import hashlib
import re
import unicodedata

from django.db import migrations

NUMBER_KEY_RE = re.compile(r"^[0-9]{3,}(?:~[0-9]+)?$")
DUPLICATE_RE = re.compile(r"^(?P<key>.*?)(?P<mark>~[0-9]+)?$", re.DOTALL)
IMPORT_REF_MAX_CHARS = 200


def normalize_title(title):
    folded = unicodedata.normalize("NFKC", title).casefold()
    kept = "".join(char for char in folded if unicodedata.category(char)[0] in "LN")
    return kept or "".join(folded.split())


def normalized_ref(ref):
    source, separator, key = ref.partition("#")
    if not separator or not key or NUMBER_KEY_RE.match(key) or key.startswith(("t:", "s:", "h:")):
        return ref
    parts = DUPLICATE_RE.match(key)
    identity = "t:" + normalize_title(parts.group("key")) + (parts.group("mark") or "")
    new = f"{source}#{identity}"
    if len(new) > IMPORT_REF_MAX_CHARS:
        new = f"{source}#h:{hashlib.sha256(identity.encode()).hexdigest()[:32]}"
    return new


def normalize_import_refs(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    taken = set(Article.objects.exclude(import_ref="").values_list("column_id", "import_ref"))
    changed = []
    for article in Article.objects.exclude(import_ref="").only("pk", "column_id", "import_ref").iterator():
        new = normalized_ref(article.import_ref)
        # Two titles that only differed in punctuation keep their old keys rather than collide.
        if new != article.import_ref and (article.column_id, new) not in taken:
            taken.add((article.column_id, new))
            article.import_ref = new
            changed.append(article)
    Article.objects.bulk_update(changed, ["import_ref"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("articles", "0008_import_identity_and_background_runs")]

    operations = [migrations.RunPython(normalize_import_refs, migrations.RunPython.noop)]
