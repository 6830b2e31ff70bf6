"""Builders for test data, in one place. Each takes keyword overrides and saves through the models."""

import uuid
from datetime import timedelta
from itertools import count

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone

from articles.models import Article, Author, Category, Column, Section
from members.models import Coupon, Membership, Plan

sequence = count(1)

PASSWORD = "correct-horse-battery-staple"

PAID_PARAGRAPHS = [
    "付费段落一：只有会员才能读到这一句关于提示词工程的秘密。",
    "付费段落二：第二个秘密是镜头语言和分镜脚本的写法。",
    "付费段落三：第三个秘密是如何把短视频变现。",
]


def paid_body(preview="免费段落：任何人都能读到这一句开场白。", paragraphs=PAID_PARAGRAPHS):
    return "\n\n".join([preview, "<!-- more -->", *paragraphs])


def make_user(*, email=None, password=PASSWORD, verified=True, **fields):
    email = email or f"reader{next(sequence)}@example.com"
    user = get_user_model().objects.create_user(username=email.split("@")[0] + str(next(sequence)), email=email, password=password, **fields)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=verified)
    return user


def make_editor(**fields):
    return make_user(is_staff=True, is_superuser=True, **fields)


def make_author(*, display_name=None, **fields):
    return Author.objects.create(display_name=display_name or f"作者{next(sequence)}", **fields)


def make_category(*, name=None, **fields):
    return Category.objects.create(name=name or f"分类{next(sequence)}", **fields)


def make_column(*, title=None, status=Column.Status.PUBLISHED, authors=None, plans=(("annual", 9900),), **fields):
    column = Column.objects.create(title=title or f"专栏{next(sequence)}", status=status, **fields)
    column.authors.set(authors if authors is not None else [make_author()])
    for kind, price_fen in plans:
        Plan.objects.create(column=column, kind=kind, price_fen=price_fen)
    return column


def make_section(column, *, title=None, position=0):
    return Section.objects.create(column=column, title=title or f"栏目{next(sequence)}", position=position)


def make_article(column, *, title=None, body=None, access=Article.Access.MEMBERS, published_at=None, **fields):
    return Article.objects.create(
        column=column,
        title=title or f"文章{next(sequence)}",
        body=paid_body() if body is None else body,
        access=access,
        published_at=published_at or timezone.now() - timedelta(hours=1),
        **fields,
    )


def make_membership(user, column, *, days=None, expired=False, source=Membership.Source.PURCHASE, ends_at=None, starts_at=None):
    """Lifetime by default; `days` from now, `expired` long ago, or ending exactly at `ends_at`."""
    now = timezone.now()
    if expired:
        starts, expires = now - timedelta(days=400), now - timedelta(days=35)
    elif ends_at is not None:
        starts, expires = ends_at - timedelta(days=365), ends_at
    else:
        starts, expires = now - timedelta(days=1), (now + timedelta(days=days) if days else None)
    return Membership.objects.create(user=user, column=column, source=source, starts_at=starts_at or starts, expires_at=expires)


def make_coupon(column, *, code=None, percent_off=None, amount_off_fen=None, **fields):
    if percent_off is None and amount_off_fen is None:
        percent_off = 20
    code = code or f"SAVE{uuid.uuid4().hex[:8].upper()}"
    return Coupon.objects.create(code=code, column=column, percent_off=percent_off, amount_off_fen=amount_off_fen, **fields)
