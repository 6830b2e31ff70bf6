from django.urls import path

from members import views

app_name = "members"

urlpatterns = [
    path("me/columns/", views.my_columns, name="my-columns"),
    path("column/<slug:slug>/join/", views.join_column, name="join"),
]
