"""{% load seo_tags %}: the canonical address of the page and the sharing tags of articles and columns."""

from django import template

from articles.absolute_urls import canonical_url as build_canonical_url
from articles.seo import article_meta, column_meta, is_free_to_everyone

register = template.Library()


@register.simple_tag(takes_context=True)
def canonical_url(context) -> str:
    request = context.get("request")
    return build_canonical_url(request.path, request.GET) if request is not None else ""


@register.inclusion_tag("includes/meta_tags.html")
def article_meta_tags(article):
    return {"meta": article_meta(article)}


@register.inclusion_tag("includes/meta_tags.html")
def column_meta_tags(column):
    return {"meta": column_meta(column)}


@register.filter
def paywalled(article) -> bool:
    """Whether the article's full text is for members only (the element to mark for search engines)."""
    return not is_free_to_everyone(article)
