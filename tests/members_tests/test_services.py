from datetime import timedelta

import pytest
from django.utils import timezone

from members.access import can_read_in_full
from members.models import Membership
from members.services import membership_grant
from tests.factories import make_article, make_column, make_membership, make_user

pytestmark = pytest.mark.django_db


def test_grant_for_days_then_renewal_extends_from_the_current_end():
    reader, column = make_user(), make_column()
    first = membership_grant(user=reader, column=column, source=Membership.Source.PURCHASE, days=365)
    end = first.expires_at
    renewed = membership_grant(user=reader, column=column, source=Membership.Source.PURCHASE, days=365)
    assert renewed.pk == first.pk
    assert renewed.expires_at == end + timedelta(days=365)


def test_renewal_after_expiry_starts_from_today():
    reader, column = make_user(), make_column()
    make_membership(reader, column, expired=True)
    before = timezone.now()
    renewed = membership_grant(user=reader, column=column, source=Membership.Source.PURCHASE, days=30)
    assert before + timedelta(days=30) <= renewed.expires_at <= timezone.now() + timedelta(days=30)
    assert renewed.is_active()


def test_lifetime_stays_lifetime_when_days_are_added():
    reader, column = make_user(), make_column()
    membership_grant(user=reader, column=column, source=Membership.Source.COMPLIMENTARY, lifetime=True)
    again = membership_grant(user=reader, column=column, source=Membership.Source.CODE, days=30)
    assert again.is_lifetime


def test_grant_is_visible_to_the_access_check_at_once():
    reader, column = make_user(), make_column()
    article = make_article(column)
    assert not can_read_in_full(reader, article)
    membership_grant(user=reader, column=column, source=Membership.Source.COMPLIMENTARY, days=1)
    assert can_read_in_full(reader, article)


def test_grant_needs_exactly_one_length():
    reader, column = make_user(), make_column()
    with pytest.raises(ValueError):
        membership_grant(user=reader, column=column, source=Membership.Source.COMPLIMENTARY)
    with pytest.raises(ValueError):
        membership_grant(user=reader, column=column, source=Membership.Source.COMPLIMENTARY, days=3, lifetime=True)
    assert not Membership.objects.exists()
