"""Sign-in with WeChat: allauth's "weixin" provider, adjusted to WeChat's two kinds of app.

A 公众号 (official account) signs readers in inside WeChat's browser, a 开放平台 website app on
computers with a QR code; the unionid WeChat gives both (when they belong to one 开放平台 account)
makes them one reader here. Registered in INSTALLED_APPS instead of
allauth.socialaccount.providers.weixin, under the same provider id, so the URLs stay
/accounts/weixin/login/ and /accounts/weixin/login/callback/."""
