from django.conf import settings
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from articles import page_cache
from articles.models import Category, Column
from articles.search import RANK_WINDOW, attach_snippets, gin_matches_only, parse_query, search_articles, search_columns
from articles.selectors import (
    article_for_reader,
    articles_tagged,
    attach_figures,
    author_by_slug,
    categories_in_use,
    column_for_reader,
    column_table_of_contents,
    neighbours,
    prefetch_article_page,
    published_columns,
)
from members.access import can_read_column, can_read_in_full, can_see, may_preview_drafts, membership_of


def paginate(request, queryset):
    return Paginator(queryset, settings.PAGE_SIZE).get_page(request.GET.get("page"))


def column_list_page(request, *, category: Category | None = None):
    page = paginate(request, published_columns(category=category))
    page.object_list = attach_figures(page.object_list)
    context = {"page": page, "categories": categories_in_use(), "current_category": category}
    return render(request, "articles/home.html", context)


@page_cache.visitor_page()
def home(request):
    return column_list_page(request)


@page_cache.visitor_page()
def category_detail(request, slug):
    return column_list_page(request, category=get_object_or_404(Category, slug=slug))


@page_cache.visitor_page()
def column_detail(request, slug):
    column = column_for_reader(slug, include_drafts=may_preview_drafts(request.user))
    pinned, toc = column_table_of_contents(column)
    context = {
        "column": column,
        "pinned": pinned,
        "toc": toc,
        "membership": membership_of(request.user, column),
        "reads_everything": can_read_column(request.user, column),
    }
    return render(request, "articles/column_detail.html", context)


@page_cache.visitor_page()
def article_detail(request, pk):
    article = article_for_reader(pk, request.user)
    if not can_see(request.user, article):
        raise Http404
    reads_in_full = can_read_in_full(request.user, article)
    if reads_in_full and request.user.is_authenticated:
        return page_cache.full_article(request, article, render_article)
    return render_article(request, article, reads_in_full=reads_in_full)


def render_article(request, article, *, reads_in_full: bool, content_html: str | None = None):
    prefetch_article_page(article)
    previous, following = neighbours(article)
    if content_html is None:
        # The only article text the template receives: the paid part is not even in the context otherwise.
        content_html = article.body_html if reads_in_full else article.preview_html
    context = {
        "article": article,
        "column": article.column,
        "content_html": content_html,
        "reads_in_full": reads_in_full,
        "previous": previous,
        "following": following,
        "membership": None if reads_in_full else membership_of(request.user, article.column),
        "figures": None if reads_in_full else attach_figures([article.column])[0].figures,
    }
    return render(request, "articles/article_detail.html", context)


@page_cache.visitor_page()
def tag_detail(request, slug):
    tag, articles = articles_tagged(slug)
    return render(request, "articles/tag_detail.html", {"tag": tag, "page": paginate(request, articles)})


@page_cache.visitor_page()
def author_detail(request, slug):
    author = author_by_slug(slug)
    page = paginate(request, published_columns(author=author))
    page.object_list = attach_figures(page.object_list)
    return render(request, "articles/author_detail.html", {"author": author, "page": page})


@page_cache.visitor_page(page_cache.SEARCH_PARAMETERS)
def search(request):
    """Columns and articles matching the query, best first; ?column=<slug> searches within one column."""
    query = parse_query(request.GET.get("q", ""))
    column_slug = request.GET.get("column", "")[:100]
    column = get_object_or_404(Column.objects.published(), slug=column_slug) if column_slug else None
    page, columns = None, []
    if query.searchable:
        with gin_matches_only():  # the article search and the column search share the settings
            page = paginate(request, search_articles(user=request.user, terms=query.terms, column=column))
            if column is None and page.number == 1:
                columns = search_columns(query.terms)
        page.object_list = attach_snippets(request.user, page.object_list, query.terms)
    # PostgreSQL ranks the newest RANK_WINDOW matches (see search.PostgresMatches): say "300+", not "300".
    capped = page is not None and connection.vendor == "postgresql" and page.paginator.count >= RANK_WINDOW
    context = {"query": query, "column": column, "page": page, "matching_columns": columns, "results_capped": capped}
    return render(request, "articles/search.html", context)
