from django.urls import path

from members import views

app_name = "members"

urlpatterns = [
    path("me/columns/", views.my_columns, name="my-columns"),
    path("me/orders/", views.order_list, name="orders"),
    path("me/orders/<str:number>/", views.order_detail, name="order"),
    path("column/<slug:slug>/join/", views.join_column, name="join"),
    path("checkout/<int:plan_id>/", views.checkout, name="checkout"),
    path("pay/sandbox/<str:number>/", views.sandbox_pay, name="sandbox-pay"),
]
