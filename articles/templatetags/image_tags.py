"""{% load image_tags %}: covers and avatars as responsive, lazily loaded <img> elements."""

from django import template
from django.utils.html import format_html

from articles.images import stored_image_size, variant_name

register = template.Library()


@register.simple_tag
def responsive_image(image, *, alt: str = "", sizes: str = "100vw", css_class: str = "", width: int = 0, height: int = 0, eager: bool = False):
    """An <img> with srcset of the stored WebP variants, and the intrinsic size read from the file name.

    `width`/`height` are the fallback for images stored before names carried their size.
    """
    if not image:
        return ""
    size = stored_image_size(image.name)
    srcset = ""
    if size is not None:
        width, height = size.width, size.height
        candidates = [f"{image.storage.url(variant_name(image.name, w))} {w}w" for w in size.variant_widths]
        if candidates:
            srcset = ", ".join([*candidates, f"{image.url} {size.width}w"])
    return format_html(
        '<img src="{}"{}{}{} alt="{}"{}{} loading="{}" decoding="async">',
        image.url,
        format_html(' srcset="{}"', srcset) if srcset else "",
        format_html(' sizes="{}"', sizes) if srcset else "",
        format_html(' class="{}"', css_class) if css_class else "",
        alt,
        format_html(' width="{}"', width) if width else "",
        format_html(' height="{}"', height) if height else "",
        "eager" if eager else "lazy",
    )
