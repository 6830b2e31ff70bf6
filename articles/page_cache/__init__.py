"""Rendered reader pages kept in the cache, so a popular page costs one cache read instead of a
dozen queries and a template render, and no kept page can ever hold a paid sentence for someone
who did not pay or outlive a change to what it shows.

- `visitors`: whole pages for visitors without a session, answered by a middleware before the
  rest of the stack, with the headers the stack gave them.
- `skeletons`: article pages for signed-in readers who read them in full, kept with holes for the
  text and the CSRF tokens.
- `generation`: invalidation. Every entry is filed under the content generation it was built in,
  and the generation lives in the database, moved on in the same transaction as the change.
- `entries`: keys, lifetimes, and the cache they live in (settings.PAGE_CACHE_ALIAS).

While the cache cannot be reached nothing is kept and every page is rendered as usual.
"""

from articles.page_cache.generation import pages_changed
from articles.page_cache.skeletons import full_article, holes
from articles.page_cache.visitors import PAGE_PARAMETERS, SEARCH_PARAMETERS, SITEMAP_PARAMETERS, visitor_page

__all__ = ["PAGE_PARAMETERS", "SEARCH_PARAMETERS", "SITEMAP_PARAMETERS", "full_article", "holes", "pages_changed", "visitor_page"]
