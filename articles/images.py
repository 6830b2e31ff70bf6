"""Uploaded images made safe to store and serve. Pure: bytes in, bytes out, no database or storage.

Every image that enters the portal (covers, avatars, images inside imported documents) is decoded
by Pillow and re-encoded: only JPEG, PNG, WebP and GIF are accepted, the byte limit is checked
before decoding and the pixel limit from the header before any pixel is decompressed (so a
decompression bomb costs a few kilobytes of memory), EXIF and every other metadata block are
dropped after the EXIF orientation has been applied, and the file is named after its content.
Nothing of the uploaded file survives but its pixels: not its name, not its extension, not
anything appended after the image data.

A GIF keeps its first frame only, stored as PNG: covers and avatars are still pictures, and
re-encoding every frame of an animation would multiply the memory a small upload can demand.
"""

import hashlib
import io
import re
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
# The format each accepted one is stored as, its extension and content type.
STORED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "GIF": "PNG"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
# gif and jpeg: files imported before images were re-encoded.
CONTENT_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif"}
JPEG_QUALITY = 85
WEBP_QUALITY = 82
# An ICC profile larger than this is not a colour profile worth keeping.
MAX_ICC_PROFILE_BYTES = 256 * 1024

# Widths of the smaller copies written next to each image, for srcset.
VARIANT_WIDTHS = (320, 640, 1280)
# "<24 hex digits>-<width>x<height>.<ext>": the name carries the size, so pages can write width,
# height and srcset without opening the file.
CLEAN_NAME_RE = re.compile(r"(?P<stem>[0-9a-f]{24}-(?P<width>\d+)x(?P<height>\d+))\.(?P<ext>jpg|png|webp)$")
# "<24 hex digits>-<width>x<height>-<copy width>w.webp": a copy variants() made of such a file.
VARIANT_NAME_RE = re.compile(r"[0-9a-f]{24}-\d+x\d+-(?P<width>\d+)w\.webp$")
FORMATS_BY_EXTENSION = {extension: image_format for image_format, extension in EXTENSIONS.items()}


class ImageRejected(ValueError):
    """The upload is not an image the portal stores; `message` says why, for the person uploading."""

    def __init__(self, message, code: str):
        super().__init__(str(message))
        self.message = message
        self.code = code


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    format: str  # JPEG, PNG or WEBP: what `data` is
    width: int
    height: int

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]

    @property
    def name(self) -> str:
        """Content-addressed file name; the uploaded name and extension play no part."""
        digest = hashlib.sha256(self.data).hexdigest()[:24]
        return f"{digest}-{self.width}x{self.height}.{self.extension}"


def sanitize_image(fileobj: BinaryIO | bytes, *, max_bytes: int, max_pixels: int) -> CleanImage:
    """The image re-encoded without metadata, or ImageRejected with a message for the uploader."""
    data = fileobj if isinstance(fileobj, bytes) else read_at_most(fileobj, max_bytes + 1)
    if len(data) > max_bytes:
        raise ImageRejected(_("The image is larger than %(limit)s MB.") % {"limit": format_megabytes(max_bytes)}, "too_large")
    if not data:
        raise ImageRejected(_("The file is empty."), "empty")
    try:
        with warnings.catch_warnings():
            # Pillow warns past MAX_IMAGE_PIXELS and refuses past twice that; our own limit
            # below is the one that counts, checked before a single pixel is decoded.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except Image.DecompressionBombError:
        raise too_many_pixels(max_pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageRejected(_("This is not a JPEG, PNG, WebP or GIF image."), "format") from None
    with image:
        width, height = image.size
        if width < 1 or height < 1 or width * height > max_pixels:
            raise too_many_pixels(max_pixels)
        try:
            image.seek(0)
            image.load()
            upright = ImageOps.exif_transpose(image)
        except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError):
            raise ImageRejected(_("The image file is damaged or incomplete."), "damaged") from None
        return encode(upright, STORED_FORMATS[image.format], icc_profile=image.info.get("icc_profile"))


def too_many_pixels(max_pixels: int) -> ImageRejected:
    return ImageRejected(
        _("The image has too many pixels: at most %(limit)s megapixels are accepted.") % {"limit": format_megapixels(max_pixels)},
        "too_many_pixels",
    )


def encode(image: Image.Image, image_format: str, *, icc_profile: bytes | None = None) -> CleanImage:
    """Encode pixels alone: EXIF, XMP, comments and text chunks are never passed to the encoder."""
    options: dict = {}
    if icc_profile and len(icc_profile) <= MAX_ICC_PROFILE_BYTES and image.mode in ("RGB", "RGBA", "L", "CMYK"):
        options["icc_profile"] = icc_profile
    if image_format == "JPEG":
        if image.mode not in ("RGB", "L"):
            if image.mode == "CMYK":
                options.pop("icc_profile", None)  # a CMYK profile would misdescribe RGB pixels
            image = image.convert("RGB")
        options.update(quality=JPEG_QUALITY, progressive=True, optimize=True)
    elif image_format == "PNG":
        if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
            image = image.convert("RGBA")
        if image.mode == "P" and "transparency" in image.info:
            image = image.convert("RGBA")
        options.update(optimize=True)
    else:
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if has_alpha(image) else "RGB")
        options.update(quality=WEBP_QUALITY, method=4)
    output = io.BytesIO()
    stripped = image.copy()
    stripped.info = {}
    stripped.save(output, format=image_format, **options)
    return CleanImage(output.getvalue(), image_format, image.width, image.height)


def variants(clean: CleanImage, widths: tuple[int, ...] = VARIANT_WIDTHS) -> dict[str, bytes]:
    """Narrower WebP copies of a clean image, by file name; none wider than the image itself."""
    stem = clean.name.rsplit(".", 1)[0]
    copies: dict[str, bytes] = {}
    with Image.open(io.BytesIO(clean.data)) as image:
        image.load()
        for width in widths:
            if width >= clean.width:
                continue
            height = max(1, round(clean.height * width / clean.width))
            resized = image.convert("RGBA" if has_alpha(image) else "RGB").resize((width, height), Image.Resampling.LANCZOS)
            output = io.BytesIO()
            resized.save(output, format="WEBP", quality=WEBP_QUALITY, method=4)
            copies[variant_name(f"{stem}.{clean.extension}", width)] = output.getvalue()
    return copies


def variant_name(name: str, width: int) -> str:
    """covers/2026/ab…-1600x900.jpg → covers/2026/ab…-1600x900-640w.webp"""
    return f"{name.rsplit('.', 1)[0]}-{width}w.webp"


@dataclass(frozen=True)
class StoredImageSize:
    width: int
    height: int
    variant_widths: tuple[int, ...]


def stored_image_size(name: str) -> StoredImageSize | None:
    """Size and variant widths of a file this module named; None for any other name."""
    match = CLEAN_NAME_RE.search(name)
    if match is None:
        return None
    width, height = int(match["width"]), int(match["height"])
    return StoredImageSize(width, height, tuple(w for w in VARIANT_WIDTHS if w < width))


def stored_clean_image(name: str, data: bytes) -> CleanImage | None:
    """The CleanImage of a file this module named and stored, read back (its copies are made later,
    in the background); None for any other name."""
    match = CLEAN_NAME_RE.search(name)
    if match is None:
        return None
    return CleanImage(data, FORMATS_BY_EXTENSION[match["ext"]], int(match["width"]), int(match["height"]))


def content_type_for(name: str) -> str | None:
    return CONTENT_TYPES.get(name.rsplit(".", 1)[-1].lower())


def has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def read_at_most(fileobj: BinaryIO, limit: int) -> bytes:
    if hasattr(fileobj, "seek"):
        fileobj.seek(0)
    data = fileobj.read(limit)
    if hasattr(fileobj, "seek"):
        fileobj.seek(0)
    return data


def format_megabytes(limit: int) -> str:
    return f"{limit / (1024 * 1024):g}"


def format_megapixels(limit: int) -> str:
    return f"{limit / 1_000_000:g}"
