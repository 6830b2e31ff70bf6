"""The articles app's models, by concern; every model is importable from `articles.models`."""

from articles.models.content import SEARCH_FIELDS, Article, ArticleQuerySet, Author, Category, Column, ColumnQuerySet, Section
from articles.models.imports import ImportBatch, ImportBatchDocument, ImportBatchFile
from articles.models.pages import PageGeneration

__all__ = [
    "SEARCH_FIELDS",
    "Article",
    "ArticleQuerySet",
    "Author",
    "Category",
    "Column",
    "ColumnQuerySet",
    "ImportBatch",
    "ImportBatchDocument",
    "ImportBatchFile",
    "PageGeneration",
    "Section",
]
