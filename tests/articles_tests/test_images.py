"""Uploaded images are decoded and re-encoded by articles.images: pure, no database."""

import io
import tracemalloc

import pytest
from django.utils import translation
from PIL import Image

from articles.images import ImageRejected, content_type_for, sanitize_image, stored_image_size, variant_name, variants
from tests.articles_tests.image_samples import GPS_IFD, ORIENTATION, image_bytes, png_bomb, rotated_jpeg_with_gps

LIMITS = {"max_bytes": 5 * 1024 * 1024, "max_pixels": 20_000_000}


@pytest.fixture(autouse=True)
def english():
    """The refusals are read in English here, whichever language an earlier test left active."""
    with translation.override("en"):
        yield


def reopen(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize(
    ("image_format", "stored_format", "extension"),
    [("JPEG", "JPEG", "jpg"), ("PNG", "PNG", "png"), ("WEBP", "WEBP", "webp"), ("GIF", "PNG", "png")],
)
def test_allowed_formats_are_re_encoded_under_a_content_name(image_format, stored_format, extension):
    clean = sanitize_image(image_bytes(image_format), **LIMITS)
    assert clean.format == stored_format and reopen(clean.data).format == stored_format
    assert (clean.width, clean.height) == (64, 48)
    assert clean.name.endswith(f"-64x48.{extension}") and len(clean.name.split("-")[0]) == 24
    assert sanitize_image(image_bytes(image_format), **LIMITS).name == clean.name


@pytest.mark.parametrize("image_format", ["BMP", "TIFF", "ICO", "PPM"])
def test_other_image_formats_are_refused(image_format):
    with pytest.raises(ImageRejected) as refused:
        sanitize_image(image_bytes(image_format, size=(16, 16)), **LIMITS)
    assert refused.value.code == "format"
    assert "JPEG, PNG, WebP or GIF" in str(refused.value)


@pytest.mark.parametrize(
    "payload",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>',
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b"GIF89a<script>alert(1)</script>",  # GIF magic, not a GIF
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
        b"%PDF-1.4\n%",
    ],
)
def test_svg_html_and_fake_images_are_refused_whatever_their_name(payload):
    with pytest.raises(ImageRejected):
        sanitize_image(io.BytesIO(payload), **LIMITS)


def test_a_polyglot_keeps_only_its_pixels():
    polyglot = image_bytes("PNG") + b"<html><script>alert(document.cookie)</script></html>"
    clean = sanitize_image(polyglot, **LIMITS)
    assert b"<script" not in clean.data and b"<html" not in clean.data
    assert reopen(clean.data).size == (64, 48)


def test_a_truncated_image_is_refused_as_damaged():
    whole = image_bytes("JPEG", size=(400, 300), color="blue", quality=95)
    with pytest.raises(ImageRejected) as refused:
        sanitize_image(whole[: len(whole) // 2], **LIMITS)
    assert refused.value.code in {"damaged", "format"}


def test_the_byte_limit_is_checked_before_decoding():
    data = image_bytes("PNG", size=(200, 200))
    with pytest.raises(ImageRejected) as refused:
        sanitize_image(io.BytesIO(data), max_bytes=len(data) - 1, max_pixels=10**8)
    assert refused.value.code == "too_large"
    assert sanitize_image(io.BytesIO(data), max_bytes=len(data), max_pixels=10**8).width == 200


def test_an_empty_file_is_refused():
    with pytest.raises(ImageRejected) as refused:
        sanitize_image(b"", **LIMITS)
    assert refused.value.code == "empty"


def test_the_pixel_limit_is_read_from_the_header():
    with pytest.raises(ImageRejected) as refused:
        sanitize_image(image_bytes("PNG", size=(300, 200)), max_bytes=10**7, max_pixels=300 * 200 - 1)
    assert refused.value.code == "too_many_pixels"
    assert "megapixels" in str(refused.value)


@pytest.mark.parametrize("side", [7_000, 20_000])
def test_a_decompression_bomb_is_refused_with_bounded_memory(side):
    bomb = png_bomb(side)
    assert len(bomb) < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(ImageRejected) as refused:
            sanitize_image(bomb, **LIMITS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused.value.code == "too_many_pixels"
    assert peak < 2 * 1024 * 1024  # decoding would need side² bytes: 49 MB to 400 MB


def test_exif_is_stripped_but_its_orientation_is_applied():
    original = reopen(rotated_jpeg_with_gps(size=(60, 40)))
    assert original.getexif().get_ifd(GPS_IFD)
    clean = sanitize_image(rotated_jpeg_with_gps(size=(60, 40)), **LIMITS)
    image = reopen(clean.data)
    assert image.size == (40, 60)  # turned upright
    exif = image.getexif()
    assert ORIENTATION not in exif and not exif.get_ifd(GPS_IFD) and len(exif) == 0
    assert b"CameraMaker" not in clean.data and "exif" not in image.info
    # The left (red) half of the landscape original is now the top half.
    red, green, blue = image.convert("RGB").getpixel((20, 5))
    assert red > 200 and green < 80 and blue < 80


def test_png_text_chunks_do_not_survive():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret-location")
    clean = sanitize_image(image_bytes("PNG", pnginfo=info), **LIMITS)
    assert b"secret-location" not in clean.data


def test_a_gif_keeps_its_first_frame():
    frames = [Image.new("RGB", (20, 20), color) for color in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    image = reopen(sanitize_image(buffer.getvalue(), **LIMITS).data).convert("RGB")
    assert image.getpixel((5, 5))[0] > 200
    assert getattr(image, "n_frames", 1) == 1


def test_transparency_is_kept():
    clean = sanitize_image(image_bytes("PNG", mode="RGBA", color=(255, 0, 0, 0)), **LIMITS)
    assert reopen(clean.data).convert("RGBA").getpixel((1, 1))[3] == 0


def test_cmyk_jpeg_is_stored_as_rgb():
    clean = sanitize_image(image_bytes("JPEG", mode="CMYK", color=(0, 255, 255, 0)), **LIMITS)
    assert reopen(clean.data).mode == "RGB"


def test_variants_are_narrower_webp_copies_named_by_convention():
    clean = sanitize_image(image_bytes("JPEG", size=(1000, 500)), **LIMITS)
    copies = variants(clean)
    assert sorted(copies) == sorted(variant_name(clean.name, width) for width in (320, 640))
    for data in copies.values():
        image = reopen(data)
        assert image.format == "WEBP" and image.width in {320, 640} and image.height == image.width // 2
    size = stored_image_size(f"covers/2026/{clean.name}")
    assert (size.width, size.height, size.variant_widths) == (1000, 500, (320, 640))


def test_names_not_written_by_us_carry_no_size_and_only_image_extensions_have_a_type():
    assert stored_image_size("covers/2024/holiday.jpg") is None
    assert content_type_for("covers/x.webp") == "image/webp"
    assert content_type_for("covers/x.svg") is None and content_type_for("covers/x.html") is None
