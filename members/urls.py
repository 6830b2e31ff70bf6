from django.urls import path

from members import alipay_pages, epub_pages, feeds, gift_pages, reading_options, trial_pages, views, webhooks, wechat_pages

app_name = "members"

urlpatterns = [
    path("me/columns/", views.my_columns, name="my-columns"),
    path("feeds/private/<str:token>/", feeds.PrivateColumnFeed(), name="private-feed"),
    path("feeds/private/<str:token>/atom/", feeds.PrivateColumnAtomFeed(), name="private-feed-atom"),
    path("me/columns/<slug:slug>/feed-key/", reading_options.feed_key_change, name="feed-key"),
    path("me/columns/<slug:slug>/emails/", reading_options.email_preference, name="email-preference"),
    path("me/columns/<slug:slug>/epub/", epub_pages.column_epub, name="column-epub"),
    path("me/columns/<slug:slug>/renewal-reminders/", reading_options.renewal_reminders_preference, name="renewal-reminders"),
    path("unsubscribe/<str:token>/", reading_options.unsubscribe, name="unsubscribe"),
    path("unsubscribe/renewal-reminders/<str:token>/", reading_options.renewal_reminders_unsubscribe, name="renewal-reminders-unsubscribe"),
    path("me/subscriptions/<int:pk>/renewal/", views.subscription_renewal, name="subscription-renewal"),
    path("me/orders/", views.order_list, name="orders"),
    path("me/referrals/", views.my_referrals, name="referrals"),
    path("me/orders/<str:number>/", views.order_detail, name="order"),
    path("me/orders/<str:number>/gift/", gift_pages.gift_detail, name="gift"),
    path("gift/<str:code>/", gift_pages.gift_redeem, name="gift-redeem"),
    path("column/<slug:slug>/join/", views.join_column, name="join"),
    path("column/<slug:slug>/trial/<int:plan_id>/", trial_pages.trial_begin, name="trial"),
    path("checkout/<int:plan_id>/", views.checkout, name="checkout"),
    path("redeem/", views.redeem_code, name="redeem"),
    path("pay/sandbox/<str:number>/", views.sandbox_pay, name="sandbox-pay"),
    path("pay/wechat/<str:number>/", wechat_pages.wechat_pay, name="wechat-pay"),
    # No trailing slash: WeChat Pay opens JSAPI only on pages in a registered directory, /pay/wechat/jsapi/.
    path("pay/wechat/jsapi/<str:number>", wechat_pages.wechat_pay_jsapi, name="wechat-pay-jsapi"),
    path("pay/wechat/<str:number>/openid/", wechat_pages.wechat_pay_openid, name="wechat-pay-openid"),
    path("pay/wechat/<str:number>/return/", wechat_pages.wechat_pay_return, name="wechat-pay-return"),
    path("pay/wechat/<str:number>/status/", wechat_pages.wechat_pay_status, name="wechat-pay-status"),
    path("webhooks/stripe/", webhooks.stripe_webhook, name="stripe-webhook"),
    path("webhooks/wechat-pay/", webhooks.wechat_notify, name="wechat-notify"),
    path("pay/alipay/<str:number>/", alipay_pages.alipay_pay, name="alipay-pay"),
    path("pay/alipay/<str:number>/return/", alipay_pages.alipay_return, name="alipay-return"),
    path("webhooks/alipay/", webhooks.alipay_notify, name="alipay-notify"),
]
