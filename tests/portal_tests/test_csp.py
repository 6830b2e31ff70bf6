"""The Content-Security-Policy, and pages that live within it: no inline scripts, no event-handler
attributes, no javascript: URLs anywhere, and no style attributes on reader pages."""

import uuid
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from members.models import Gift
from members.services import order_create, order_mark_paid
from tests.factories import make_article, make_column, make_editor, make_membership, make_user

pytestmark = pytest.mark.django_db

# Scripts that hold data, not code: the browser never runs them, so CSP does not need to allow them.
DATA_SCRIPT_TYPES = {"application/ld+json", "application/json"}


class Violations(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []
        self.in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name == "style":
                self.found.append(f"<{tag} style=…>")
            if name in {"href", "src", "action", "formaction"} and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:…>")
        if tag == "style":
            self.found.append("<style> element")
        if tag == "script" and not attributes.get("src") and (attributes.get("type") or "").lower() not in DATA_SCRIPT_TYPES:
            self.in_inline_script = True

    def handle_endtag(self, tag):
        if tag == "script" and self.in_inline_script:
            self.in_inline_script = False
            self.found.append("inline <script>")


def violations(response, *, allow_style_attributes=False):
    parser = Violations()
    parser.feed(response.content.decode())
    found = parser.found
    if allow_style_attributes:
        found = [item for item in found if "style=" not in item]
    return found


def directives(response):
    header = response["Content-Security-Policy"]
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def test_the_policy_allows_only_our_own_scripts_and_styles(client):
    policy = directives(client.get(reverse("articles:home")))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert set(policy["img-src"]) == {"'self'", "data:"}
    header = client.get(reverse("articles:home"))["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header


def test_forms_may_hand_over_to_stripe_checkout_only_when_stripe_is_on(settings, client):
    # The checkout form posts to us and we redirect to Stripe: browsers check that redirect against
    # form-action, so Stripe's host is listed exactly when Stripe is configured.
    assert "https://checkout.stripe.com" not in directives(client.get(reverse("articles:home")))["form-action"]
    from tests.portal_tests.test_security_headers import production_settings

    values = production_settings(DJANGO_STRIPE_SECRET_KEY="sk_test_x", DJANGO_STRIPE_WEBHOOK_SECRET="whsec_x", DJANGO_MEDIA_URL="https://media.example.com/m/")
    directives_in_production = values["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]
    assert directives_in_production["form-action"] == ["'self'", "https://checkout.stripe.com"]
    assert directives_in_production["img-src"] == ["'self'", "data:", "https://media.example.com"]


def reader_pages(client):
    column = make_column(title="付费专栏")
    free = make_article(column, title="试读文章")
    paid = make_article(column, title="会员文章")
    pages = [
        reverse("articles:home"),
        column.get_absolute_url(),
        free.get_absolute_url(),
        paid.get_absolute_url(),
        reverse("account_login"),
        reverse("account_signup"),
        reverse("account_reset_password"),
        "/no-such-page/",
    ]
    responses = [client.get(url) for url in pages]
    reader = make_user()
    make_membership(reader, column)
    client.force_login(reader)
    for url in [paid.get_absolute_url(), reverse("members:my-columns"), reverse("members:orders"), reverse("members:redeem"), reverse("members:referrals")]:
        responses.append(client.get(url))
    # A reader without the membership: the join page and the checkout.
    other_column = make_column(title="另一个专栏")
    responses.append(client.get(reverse("members:join", args=[other_column.slug])))
    responses.append(client.get(reverse("members:checkout", args=[other_column.plans.first().pk])))
    # A gift: the buyer's page with its link, and the recipient's page.
    gift = order_create(user=reader, plan=other_column.plans.first(), provider="manual", checkout_token=uuid.uuid4(), gift_message="生日快乐")
    order_mark_paid(order_id=gift.pk, amount_fen=gift.amount_fen)
    responses.append(client.get(reverse("members:gift", kwargs={"number": gift.number})))
    responses.append(client.get(Gift.objects.get(order=gift).get_redeem_url()))
    return responses


def test_reader_pages_have_no_inline_code_or_styles(client):
    for response in reader_pages(client):
        assert response.status_code in {200, 404}, response.request["PATH_INFO"]
        assert violations(response) == [], response.request["PATH_INFO"]


def test_the_sign_up_flow_pages_have_no_inline_code(client):
    response = client.post(reverse("account_signup"), {"email": "new@example.com", "password1": "correct-horse-battery-staple"}, follow=True)
    assert response.status_code == 200
    assert violations(response) == []


def admin_pages(client):
    editor = make_editor()
    client.force_login(editor)
    column = make_column(title="付费专栏")
    article = make_article(column)
    urls = [reverse("admin:index"), reverse("column-dashboard", args=[column.slug]), reverse("admin:members_redeemcode_generate")]
    urls += [reverse("admin:articles_column_change", args=[column.pk]), reverse("admin:articles_article_change", args=[article.pk])]
    request = RequestFactory().get("/admin/")
    request.user = editor
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        urls.append(reverse("admin:%s_%s_changelist" % info))
        if model_admin.has_add_permission(request):
            urls.append(reverse("admin:%s_%s_add" % info))
    return [(url, client.get(url)) for url in urls]


def test_admin_pages_run_no_inline_code(client):
    # Django's admin keeps its scripts in static files; our admin pages (import, dashboard charts,
    # code batches) must too. Charts are SVG with presentation attributes, not style attributes.
    for url, response in admin_pages(client):
        if response.status_code == 302:  # e.g. "add a redeem code" leads to the batch generator, also checked
            continue
        assert response.status_code == 200, url
        assert violations(response) == [], url


def test_the_checker_finds_what_it_looks_for():
    class Page:
        content = (
            b'<script>alert(1)</script><script src="/static/x.js"></script>'
            b'<script type="application/ld+json">{"@type": "Article"}</script>'
            b'<a href="javascript:void(0)" onclick="go()">x</a><p style="color: red">y</p><style>p{}</style>'
        )

    assert sorted(violations(Page)) == sorted(["inline <script>", "<a onclick=…>", "<a href=javascript:…>", "<p style=…>", "<style> element"])
