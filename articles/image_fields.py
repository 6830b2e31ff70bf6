"""An ImageField that stores only what articles.images makes of an upload.

Validation (model full_clean, so every ModelForm and the admin) refuses a bad upload with a
message on the field; saving writes the re-encoded image under its content name and the narrower
WebP copies beside it. A file already in storage is never decoded again.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models

from articles.images import CleanImage, ImageRejected, sanitize_image, variant_name, variants


def clean_upload(file) -> CleanImage:
    """The sanitized image of an uploaded file, computed once per upload."""
    cached = getattr(file, "sanitized_image", None)
    if cached is None:
        cached = sanitize_image(file, max_bytes=settings.IMAGE_MAX_BYTES, max_pixels=settings.IMAGE_MAX_PIXELS)
        file.sanitized_image = cached
    return cached


def validate_uploaded_image(value) -> None:
    if not value or getattr(value, "_committed", True):
        return
    try:
        clean_upload(value.file)
    except ImageRejected as rejected:
        raise ValidationError(rejected.message, code=rejected.code) from None


def store_clean_image(storage, name: str, clean: CleanImage) -> str:
    """Save the image and its variants under `name`; identical content already stored is reused."""
    if not storage.exists(name):
        name = storage.save(name, ContentFile(clean.data))
    for variant, data in variants(clean).items():
        target = variant_name(name, int(variant.rsplit("-", 1)[1].removesuffix("w.webp")))
        if not storage.exists(target):
            storage.save(target, ContentFile(data))
    return name


class CleanImageField(models.ImageField):
    default_validators = [validate_uploaded_image]

    def pre_save(self, model_instance, add):
        file = getattr(model_instance, self.attname)
        if file and not file._committed:
            try:
                clean = clean_upload(file.file)
            except ImageRejected as rejected:
                # Reached only when a caller saves without full_clean(): never store the raw upload.
                raise ValidationError({self.name: rejected.message}) from None
            file.name = store_clean_image(file.storage, self.generate_filename(model_instance, clean.name), clean)
            file._committed = True
        return file
