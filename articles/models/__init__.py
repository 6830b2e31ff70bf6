"""The articles app's models, by concern; every model is importable from `articles.models`."""

from articles.models.comments import MODERATE_COMMENTS, Comment, CommentBan, CommentEmail, CommentEmailSettings, CommentLike, CommentReport
from articles.models.content import SEARCH_FIELDS, Article, ArticleQuerySet, Author, Category, Column, ColumnQuerySet, Section
from articles.models.imports import ImportBatch, ImportBatchDocument, ImportBatchFile
from articles.models.pages import PageGeneration

__all__ = [
    "MODERATE_COMMENTS",
    "SEARCH_FIELDS",
    "Article",
    "ArticleQuerySet",
    "Author",
    "Category",
    "Comment",
    "CommentBan",
    "CommentEmail",
    "CommentEmailSettings",
    "CommentLike",
    "CommentReport",
    "Column",
    "ColumnQuerySet",
    "ImportBatch",
    "ImportBatchDocument",
    "ImportBatchFile",
    "PageGeneration",
    "Section",
]
