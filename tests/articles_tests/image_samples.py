"""Image files built in memory for the image tests."""

import io

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def image_bytes(image_format="PNG", size=(64, 48), color="red", mode="RGB", **save_options) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, image_format, **save_options)
    return buffer.getvalue()


def rotated_jpeg_with_gps(size=(60, 40)) -> bytes:
    """A landscape JPEG whose EXIF says "rotate 90° clockwise to view" and where it was taken."""
    image = Image.new("RGB", size, "white")
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))  # left half red: shows the rotation
    exif = image.getexif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "CameraMaker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def png_bomb(side=20_000) -> bytes:
    """A few dozen kilobytes that would decode to side × side pixels."""
    buffer = io.BytesIO()
    Image.new("1", (side, side)).save(buffer, "PNG")
    return buffer.getvalue()
