from django.urls import path

from articles import feeds, views
from articles.comments import urls as comment_urls

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("category/<slug:slug>/", views.category_detail, name="category"),
    path("column/<slug:slug>/", views.column_detail, name="column"),
    path("a/<int:pk>/", views.article_detail, name="article"),
    path("tag/<str:slug>/", views.tag_detail, name="tag"),
    path("author/<slug:slug>/", views.author_detail, name="author"),
    path("search/", views.search, name="search"),
    path("feeds/", feeds.SiteFeed(), name="feed"),
    path("feeds/atom/", feeds.SiteAtomFeed(), name="feed-atom"),
    path("column/<slug:slug>/feed/", feeds.ColumnFeed(), name="column-feed"),
    path("column/<slug:slug>/feed/atom/", feeds.ColumnAtomFeed(), name="column-feed-atom"),
    *comment_urls.urlpatterns,
]
