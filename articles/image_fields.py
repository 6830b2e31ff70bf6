"""An ImageField that stores only what articles.images makes of an upload.

Validation (model full_clean, so every ModelForm and the admin) refuses a bad upload with a
message on the field; saving writes the re-encoded image under its content name and the narrower
WebP copies beside it. A file already in storage is never decoded again.
"""

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models

from articles.images import (
    CLEAN_NAME_RE,
    VARIANT_NAME_RE,
    CleanImage,
    ImageRejected,
    sanitize_image,
    stored_clean_image,
    stored_image_size,
    variant_name,
    variants,
)

# Where the images inside article bodies are stored (articles/importers/stored_images.py).
BODY_IMAGE_FOLDER = "imports"


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


def body_image_name(src: str) -> str | None:
    """The storage name behind an address in an article body, if it is one of our body images or
    their copies (the address the storage itself gives that name); None for anything else."""
    file_name = src.rsplit("/", 1)[-1]
    if CLEAN_NAME_RE.fullmatch(file_name) is None and VARIANT_NAME_RE.fullmatch(file_name) is None:
        return None
    name = f"{BODY_IMAGE_FOLDER}/{file_name}"
    return name if default_storage.url(name) == src else None


def body_image_srcset(src: str) -> str:
    """The srcset of an image in an article body: its WebP copies and itself, once every copy is
    stored. "" for an image elsewhere, one too small for copies, and one whose copies are still
    being made, so that a page never offers a copy that is not there."""
    name = body_image_name(src)
    size = stored_image_size(name) if name else None
    if size is None or not size.variant_widths:
        return ""
    copies = [variant_name(name, width) for width in size.variant_widths]
    # store_clean_image writes the widest copy last: asked first, it answers for the others too
    # while copies are being made.
    if not all(default_storage.exists(copy) for copy in reversed(copies)):
        return ""
    candidates = [f"{default_storage.url(copy)} {width}w" for copy, width in zip(copies, size.variant_widths, strict=True)]
    return ", ".join([*candidates, f"{src} {size.width}w"])


def store_body_image_copies(name: str) -> bool:
    """Store the missing WebP copies of a body image already stored under `name`; False when it is
    not an image this portal named or cannot be read (its articles then show it without copies)."""
    size = stored_image_size(name)
    if size is None:
        return False
    if all(default_storage.exists(variant_name(name, width)) for width in size.variant_widths):
        return True
    try:
        with default_storage.open(name) as stored:
            data = stored.read()
        store_clean_image(default_storage, name, stored_clean_image(name, data))
    except (OSError, ValueError, SuspiciousFileOperation):  # gone, or not the image its name says
        return False
    return True
