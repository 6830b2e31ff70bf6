from django.urls import path

from articles import views

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("category/<slug:slug>/", views.category_detail, name="category"),
    path("column/<slug:slug>/", views.column_detail, name="column"),
    path("a/<int:pk>/", views.article_detail, name="article"),
    path("tag/<str:slug>/", views.tag_detail, name="tag"),
    path("author/<slug:slug>/", views.author_detail, name="author"),
]
