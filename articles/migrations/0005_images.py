import articles.image_fields
from django.db import migrations


class Migration(migrations.Migration):
    """Covers and avatars are stored re-encoded (articles.images); the columns themselves are unchanged."""

    dependencies = [("articles", "0004_search")]

    operations = [
        migrations.AlterField(
            model_name="author",
            name="avatar",
            field=articles.image_fields.CleanImageField(blank=True, upload_to="avatars/%Y/", verbose_name="avatar"),
        ),
        migrations.AlterField(
            model_name="column",
            name="cover",
            field=articles.image_fields.CleanImageField(blank=True, upload_to="covers/%Y/", verbose_name="cover image"),
        ),
    ]
