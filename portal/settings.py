"""Settings for the portal. Every value comes from the environment with a safe development default;
.env.example lists them. With DJANGO_DEBUG off the site refuses the development secret key."""

from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from portal.env import email_settings, env_bool, env_float, env_int, env_list, env_str, s3_storage_settings
from portal.wechat_login.configuration import AUTHORIZE_ORIGIN as WECHAT_AUTHORIZE_ORIGIN
from portal.wechat_login.configuration import provider_apps as wechat_provider_apps

BASE_DIR = Path(__file__).resolve().parent.parent

DEVELOPMENT_SECRET_KEY = "django-insecure-development-key-do-not-use-in-production"
SECRET_KEY = env_str("DJANGO_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
DEBUG = env_bool("DJANGO_DEBUG", True)

if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_DEBUG is off but DJANGO_SECRET_KEY is still the development key. "
        "Set DJANGO_SECRET_KEY to a long random value, for example the output of: "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
SITE_NAME = env_str("DJANGO_SITE_NAME", "专栏")
# The public address, for links in emails and payment providers' return URLs.
SITE_URL = env_str("DJANGO_SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    # allauth's "weixin" provider, adjusted to WeChat's two kinds of app (instead of allauth.socialaccount.providers.weixin).
    "portal.wechat_login",
    "csp",
    "taggit",
    "django_tasks",
    "django_tasks_db",
    "articles",
    "members",
]

MIDDLEWARE = [
    # Kept pages for visitors without a session are answered here, with the headers the rest of the
    # stack gave them when they were rendered (articles/page_cache/visitors.py).
    "articles.page_cache.visitors.KeptVisitorPagesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise, so static files keep their long public caching and carry no page headers.
    "portal.middleware.PrivateCacheMiddleware",
    "portal.middleware.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "members.middleware.ReferralMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.site",
                # Last: while a page is captured for the page cache its CSRF tokens are placeholders.
                "articles.page_cache.skeletons.holes",
            ],
        },
    },
]

# Databases: SQLite (WAL mode) by default, PostgreSQL through DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend with a health check that asks the socket, not the server (portal/postgresql).
    DATABASES["default"]["ENGINE"] = "portal.postgresql"
    # During a database outage requests fail within seconds (a friendly 503), not at gunicorn's timeout.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int("DJANGO_DB_CONNECT_TIMEOUT", 3)
    # Parameters sent apart from the SQL and bound by the server, instead of spliced into the SQL
    # text in Python, which costs more than the query itself for a query with many parameters
    # (2.1 ms against 0.35 ms for a member's article page). Nothing is prepared (unnamed statements
    # only), so transaction-mode poolers such as PgBouncer work, and a generic plan never makes a
    # search for a common word slow.
    if env_bool("DJANGO_DB_SERVER_SIDE_BINDING", True):
        DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=None)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        # Writers take the lock when the transaction starts, so two writers queue instead of failing.
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache: Redis when REDIS_URL is set (shared by every web node), otherwise files on this machine,
# shared by every gunicorn worker and the task worker, so rate limits count for the whole site
# (bench/cache_backends.py has the figures against the database cache). Sessions live in the
# database, so a sign-out is final whatever the cache does.
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Answers as a miss while Redis is down (and logs it), so the site keeps serving.
            "BACKEND": "portal.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("DJANGO_CACHE_PREFIX", "portal"),
            "TIMEOUT": 300,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": env_str("DJANGO_CACHE_DIR", str(BASE_DIR / "var" / "cache")),
            "KEY_PREFIX": env_str("DJANGO_CACHE_PREFIX", "portal"),
            "TIMEOUT": 300,
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 30
# Reader pages kept in the cache (articles/page_cache/): how long at most, in seconds; 0 keeps none.
# Any change to what they show retires them; this bounds only reader counts on column cards.
PAGE_CACHE_SECONDS = env_int("DJANGO_PAGE_CACHE_SECONDS", 300)
PAGE_CACHE_ALIAS = "default"
# Each process's own copy of the visitor pages it answers most, in front of the shared one: kept
# under the same generation, so it is retired as surely (make bench: home went from 0.43 to 0.80 of
# the bare app with it, and first in MIDDLEWARE).
PAGE_CACHE_LOCAL_ALIAS = "pages-here"
CACHES[PAGE_CACHE_LOCAL_ALIAS] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "pages-here",
    "TIMEOUT": 300,
    "OPTIONS": {"MAX_ENTRIES": env_int("DJANGO_PAGE_CACHE_LOCAL_ENTRIES", 500)},
}
# How often a process reads the content generation from the database: a change reaches every
# worker and node within this many seconds.
PAGE_CACHE_GENERATION_SECONDS = env_float("DJANGO_PAGE_CACHE_GENERATION_SECONDS", 1.0)
# How long nginx or a CDN may keep a visitor page (s-maxage); a change reaches visitors behind it
# within this many seconds more. 0: they may store it but must ask again every time.
PAGE_SHARED_CACHE_SECONDS = env_int("DJANGO_PAGE_SHARED_CACHE_SECONDS", 5)

# Background work (imports, new-article emails) on Django's tasks framework (the django-tasks
# backport). The database backend is the embedded default: tasks are rows in the database and
# `python manage.py db_worker` runs them (`make run` starts one beside gunicorn). "immediate" runs
# each task inside the request that enqueues it, for a setup without any worker.
TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
TASKS_BACKEND = env_str("DJANGO_TASKS_BACKEND", "database")
if TASKS_BACKEND not in TASK_BACKENDS:
    raise ImproperlyConfigured(f"DJANGO_TASKS_BACKEND must be one of {', '.join(TASK_BACKENDS)}, not {TASKS_BACKEND!r}.")
TASKS = {"default": {"BACKEND": TASK_BACKENDS[TASKS_BACKEND], "QUEUES": ["default"]}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "articles:home"

# Accounts (django-allauth): email is the login; a six-digit code confirms it within the sign-up
# flow, so the reader lands back on the article they came from.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = env_str("DJANGO_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env_str("DJANGO_HTTP_PROTOCOL", "http" if DEBUG else "https")
# Rate limits, counted in the default cache (Redis in production, so every web worker shares the
# counts) per client address (portal.client_ip, through the adapter) and per email ("key").
ACCOUNT_ADAPTER = "portal.account_adapter.AccountAdapter"
ACCOUNT_USER_DISPLAY = "portal.account_adapter.user_display"
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip,100/h/ip",
    "confirm_email": "1/10s/key",
    "reset_password": "20/m/ip,5/h/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
    # Ours: every password tried at /admin/login/ (portal.admin_login), per address and per username.
    "admin_login": "10/m/ip,5/5m/key",
    # Ours: comments posted by accounts younger than three days (articles/comments/rules.py).
    "comment_new_account": "3/10m/user,20/h/ip",
}

# Mail: printed on the console by default; EMAIL_URL selects SMTP, a directory or memory.
globals().update(email_settings(env_str("EMAIL_URL", "console://")))
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "专栏 <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Simplified Chinese first; English through the same catalogues.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
# locale_overrides/ holds hand-kept corrections to other packages' wording (allauth's Chinese), which
# `makemessages --no-obsolete` would drop from locale/ since the msgids are not in our sources. Both
# directories win over every package's catalogue. locale/ must stay first: makemessages writes our
# strings into the first entry.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_overrides"]
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = env_str("DJANGO_MEDIA_URL", "/media/")
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Media is served by the application itself unless a web server in front takes it over.
SERVE_MEDIA = env_bool("DJANGO_SERVE_MEDIA", True)
# Uploaded and imported images: larger files are refused before decoding, larger pictures from
# their header before a pixel is decompressed (articles.images).
IMAGE_MAX_BYTES = env_int("DJANGO_IMAGE_MAX_BYTES", 10 * 1024 * 1024)
IMAGE_MAX_PIXELS = env_int("DJANGO_IMAGE_MAX_PIXELS", 40_000_000)
# Files that must never be public (documents uploaded for import hold whole paid articles): outside
# MEDIA_ROOT, served by no URL (articles/storage.py).
PRIVATE_MEDIA_ROOT = Path(env_str("DJANGO_PRIVATE_MEDIA_ROOT", str(BASE_DIR / "private-media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {"BACKEND": "articles.storage.PrivateFileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Several web nodes need one media store: a directory they all mount (MEDIA_ROOT and
# PRIVATE_MEDIA_ROOT), or S3-compatible object storage through django-storages (`pip install
# -e ".[s3]"`) when DJANGO_S3_BUCKET is set. Images then go to the bucket under "media/" (public,
# content-hash names, cached for a year) and import documents under "private/" (private ACL,
# signed URLs only). DJANGO_S3_CUSTOM_DOMAIN names a CDN in front of the bucket.
S3_BUCKET = env_str("DJANGO_S3_BUCKET", "")
if S3_BUCKET:
    _s3 = s3_storage_settings(
        bucket=S3_BUCKET,
        endpoint_url=env_str("DJANGO_S3_ENDPOINT_URL", ""),
        region=env_str("DJANGO_S3_REGION", ""),
        access_key=env_str("DJANGO_S3_ACCESS_KEY_ID", ""),
        secret_key=env_str("DJANGO_S3_SECRET_ACCESS_KEY", ""),
        addressing_style=env_str("DJANGO_S3_ADDRESSING_STYLE", ""),
        custom_domain=env_str("DJANGO_S3_CUSTOM_DOMAIN", ""),
        media_acl=env_str("DJANGO_S3_MEDIA_ACL", "public-read"),
    )
    STORAGES.update(default=_s3["default"], private=_s3["private"])
    MEDIA_URL = _s3["media_url"]
    # The bucket serves the images; the application serves none.
    SERVE_MEDIA = False

# Behind a reverse proxy: how many proxies of ours append to X-Forwarded-For (0 = none, trust only
# the direct peer). portal.client_ip reads the client address from exactly that position.
TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 0)
# The header the proxy sets to "https" for HTTPS requests; it must overwrite what clients send.
_proxy_ssl_header = env_str("DJANGO_SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto" if TRUSTED_PROXY_COUNT else "")
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")

# HTTPS only in production: redirect plain HTTP, and tell browsers (HSTS) never to try it again.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
# Joining the browsers' preload list is a separate decision that takes months to undo, so it is off
# unless asked for, and check --deploy's reminder about it (security.W021) is silenced meanwhile.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Browser features no page of ours uses, switched off for every page (portal.middleware).
PERMISSIONS_POLICY = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=(), browsing-topics=()"

TAGGIT_CASE_INSENSITIVE = True

# bench/web.py's ceiling: a view that does nothing, routed at /bench/bare/ only when this is on.
BENCH_BARE_VIEW = env_bool("DJANGO_BENCH_BARE_VIEW", False)

# Where the segmenting dictionary's file (about 3 MB) is built once and read by every process
# (articles/dictionary.py); empty: a private folder in the system temp dir. Give each node a private
# folder of its own in production.
SEGMENTER_CACHE_DIR = env_str("DJANGO_SEGMENTER_CACHE_DIR", "")

# Portal behaviour.
PAGE_SIZE = env_int("DJANGO_PAGE_SIZE", 12)
# A purchase this many days after a visit through a ?refer= link earns its referrer a commission.
REFERRAL_WINDOW_DAYS = env_int("DJANGO_REFERRAL_WINDOW_DAYS", 30)
# Feeds, sitemaps and new-article emails: articles per feed; only articles published within this
# many days (and not imported) are emailed to members; emails sent per batch over one connection.
FEED_ITEMS = env_int("DJANGO_FEED_ITEMS", 20)
NEW_ARTICLE_EMAIL_DAYS = env_int("DJANGO_NEW_ARTICLE_EMAIL_DAYS", 2)
NEW_ARTICLE_EMAIL_BATCH = env_int("DJANGO_NEW_ARTICLE_EMAIL_BATCH", 100)

# Payments. Manual transfer is always offered; the sandbox (a fake checkout that succeeds or fails
# on demand) only with DEBUG on or when explicitly enabled.
PAYMENTS_SANDBOX = env_bool("DJANGO_PAYMENTS_SANDBOX", DEBUG)
MANUAL_PAYMENT_INSTRUCTIONS = env_str(
    "DJANGO_MANUAL_PAYMENT_INSTRUCTIONS",
    "请通过银行转账或微信/支付宝向编辑部付款，并在备注中写上订单号。编辑确认收款后会为你开通，通常在一个工作日内。",
)

# Stripe: offered only when both keys are set. The endpoint secret (whsec_…) belongs to the webhook
# pointed at SITE_URL + /webhooks/stripe/, listening to: checkout.session.completed,
# checkout.session.async_payment_succeeded, checkout.session.async_payment_failed,
# checkout.session.expired, charge.refunded, charge.dispute.created, charge.dispute.closed,
# invoice.paid, invoice.payment_failed, invoice_payment.paid, customer.subscription.created,
# customer.subscription.updated and customer.subscription.deleted (the full list is members.payments.stripe.EVENT_HANDLERS; others
# are acknowledged and ignored). Annual plans renew yearly as Stripe subscriptions.
STRIPE_SECRET_KEY = env_str("DJANGO_STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = env_str("DJANGO_STRIPE_WEBHOOK_SECRET", "")

# WeChat Pay (API v3, Native QR code): offered when the first five are set. Notifications arrive at
# SITE_URL + /webhooks/wechat-pay/. Platform certificates are downloaded (manage.py
# wechat_pay_certificates, and again when WeChat signs with a new one) into the shared cache and
# PLATFORM_CERT_DIR; the optional platform file holds WeChat's platform certificate(s) or, for
# merchants on WeChat's platform public key, that key with its id in DJANGO_WECHAT_PAY_PLATFORM_SERIAL.
WECHAT_PAY_MCH_ID = env_str("DJANGO_WECHAT_PAY_MCH_ID", "")
WECHAT_PAY_APP_ID = env_str("DJANGO_WECHAT_PAY_APP_ID", "")
WECHAT_PAY_API_V3_KEY = env_str("DJANGO_WECHAT_PAY_API_V3_KEY", "")
WECHAT_PAY_PRIVATE_KEY_PATH = env_str("DJANGO_WECHAT_PAY_PRIVATE_KEY_PATH", "")
WECHAT_PAY_SERIAL_NO = env_str("DJANGO_WECHAT_PAY_SERIAL_NO", "")
WECHAT_PAY_PLATFORM_CERT_PATH = env_str("DJANGO_WECHAT_PAY_PLATFORM_CERT_PATH", "")
WECHAT_PAY_PLATFORM_SERIAL = env_str("DJANGO_WECHAT_PAY_PLATFORM_SERIAL", "")
WECHAT_PAY_PLATFORM_CERT_DIR = env_str("DJANGO_WECHAT_PAY_PLATFORM_CERT_DIR", "")
# How each device pays (members/payments/wechat_methods.py): computers scan a QR code (Native); phone
# browsers go through WeChat's cashier page (H5, a product WeChat Pay activates on its own: set
# DJANGO_WECHAT_PAY_H5=0 without it, and phones are then not offered WeChat Pay rather than shown a
# QR code they cannot scan); inside WeChat the payment sheet opens over our page (JSAPI), under the
# 公众号 below (DJANGO_WECHAT_MP_APP_ID and _SECRET; the same appid as DJANGO_WECHAT_PAY_APP_ID when
# the merchant's appid is that 公众号), which must be bound to the merchant.
WECHAT_PAY_H5 = env_bool("DJANGO_WECHAT_PAY_H5", True)

# WeChat accounts. The 公众号 (an official service account, mp.weixin.qq.com) signs readers in
# inside WeChat's browser and gives the openid that WeChat Pay's JSAPI needs; the 开放平台 website
# app (open.weixin.qq.com) signs readers in on computers with a QR code. Both bound to one 开放平台
# account share a unionid, which makes them one reader here.
WECHAT_LOGIN_APP_ID = env_str("DJANGO_WECHAT_LOGIN_APP_ID", "")
WECHAT_LOGIN_SECRET = env_str("DJANGO_WECHAT_LOGIN_SECRET", "")
WECHAT_MP_APP_ID = env_str("DJANGO_WECHAT_MP_APP_ID", "")
WECHAT_MP_SECRET = env_str("DJANGO_WECHAT_MP_SECRET", "")
# Sign-in with WeChat (portal/wechat_login): allauth's provider "weixin", with an app for each pair
# above that is set; with neither, no WeChat button. WeChat accounts come without an email address,
# so a reader signing up through WeChat is not asked for one (WeChat has confirmed who they are);
# they may add an email and a password later and then sign in either way.
WECHAT_SIGN_IN_APPS = wechat_provider_apps(website=(WECHAT_LOGIN_APP_ID, WECHAT_LOGIN_SECRET), official_account=(WECHAT_MP_APP_ID, WECHAT_MP_SECRET))
SOCIALACCOUNT_PROVIDERS = {"weixin": {"APPS": WECHAT_SIGN_IN_APPS}}
SOCIALACCOUNT_ADAPTER = "portal.account_adapter.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_REQUIRED = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_AUTO_SIGNUP = True

# Alipay (支付宝: 电脑网站支付 on computers, 手机网站支付 on phones; never inside WeChat, whose browser
# blocks Alipay): offered when the app id and both key files are set. In 开放平台 → 应用 → 开发设置 →
# 接口加签方式 choose 公钥 (RSA2): the private key file is the 应用私钥 you made with Alipay's key tool
# (its public half uploaded there), the public key file is the 支付宝公钥 that page then shows; PEM
# or the tool's bare base64 both work. Notifications arrive at SITE_URL + /webhooks/alipay/ (sent as
# notify_url with every payment; nothing to set in the console). DJANGO_ALIPAY_SANDBOX uses the
# sandbox gateway, with the sandbox app's id and keys. The optional seller id (the merchant's
# 2088… PID) refuses notifications of payments to any other Alipay account.
ALIPAY_APP_ID = env_str("DJANGO_ALIPAY_APP_ID", "")
ALIPAY_PRIVATE_KEY_PATH = env_str("DJANGO_ALIPAY_PRIVATE_KEY_PATH", "")
ALIPAY_PUBLIC_KEY_PATH = env_str("DJANGO_ALIPAY_PUBLIC_KEY_PATH", "")
ALIPAY_SELLER_ID = env_str("DJANGO_ALIPAY_SELLER_ID", "")
ALIPAY_SANDBOX = env_bool("DJANGO_ALIPAY_SANDBOX", False)
ALIPAY_GATEWAY = "https://openapi-sandbox.dl.alipaydev.com/gateway.do" if ALIPAY_SANDBOX else "https://openapi.alipay.com/gateway.do"

# Content-Security-Policy (django-csp): scripts and styles only from our own static files, no inline
# code, no plugins, no framing. JSON-LD blocks are data, not scripts, and need no exception.
# Forms post to ourselves; the checkout form's redirect to Stripe Checkout counts as a form target.
_form_targets = ["https://checkout.stripe.com"] if STRIPE_SECRET_KEY else []
# So does WeChat Pay's, on a phone to its H5 cashier page and inside WeChat to the 公众号's silent
# authorization that gives JSAPI the reader's openid (Chrome checks every redirect of a form post).
if WECHAT_PAY_MCH_ID and WECHAT_PAY_H5:
    _form_targets.append("https://wx.tenpay.com")
if WECHAT_PAY_MCH_ID and WECHAT_MP_APP_ID:
    _form_targets.append("https://open.weixin.qq.com")
# And Alipay's: its gateway sends the reader on to cashier pages on other hosts of its domain.
if ALIPAY_APP_ID:
    _form_targets.append("https://*.alipaydev.com" if ALIPAY_SANDBOX else "https://*.alipay.com")
# And WeChat sign-in's button, whose post is answered with a redirect to WeChat's authorize page.
if WECHAT_SIGN_IN_APPS and WECHAT_AUTHORIZE_ORIGIN not in _form_targets:
    _form_targets.append(WECHAT_AUTHORIZE_ORIGIN)
_media = urlsplit(MEDIA_URL)
_media_origins = [f"{_media.scheme}://{_media.netloc}"] if _media.netloc else []
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *_media_origins],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF, *_form_targets],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
        "upgrade-insecure-requests": not DEBUG,
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
}
