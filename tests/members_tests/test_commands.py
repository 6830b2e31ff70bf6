import pytest
from django.core.management import CommandError, call_command

from members.models import Membership
from tests.factories import make_column, make_user

pytestmark = pytest.mark.django_db


def test_grant_membership_for_days(capsys):
    reader, column = make_user(email="Reader@Example.com"), make_column()
    call_command("grant_membership", "reader@example.com", column.slug, "--days", "30")
    membership = Membership.objects.get(user=reader, column=column)
    assert membership.source == Membership.Source.COMPLIMENTARY and not membership.is_lifetime
    assert column.title in capsys.readouterr().out


def test_grant_membership_for_life():
    reader, column = make_user(), make_column()
    call_command("grant_membership", reader.email, column.slug, "--lifetime")
    assert Membership.objects.get(user=reader, column=column).is_lifetime


def test_unknown_email_says_so():
    column = make_column()
    with pytest.raises(CommandError, match="No account has the email"):
        call_command("grant_membership", "nobody@example.com", column.slug, "--days", "3")
    assert not Membership.objects.exists()


def test_unknown_column_says_so_and_lists_known_slugs():
    reader, column = make_user(), make_column()
    with pytest.raises(CommandError, match=f"No column has the slug 'nope'.*{column.slug}"):
        call_command("grant_membership", reader.email, "nope", "--lifetime")


def test_days_or_lifetime_is_required():
    reader, column = make_user(), make_column()
    with pytest.raises(CommandError):
        call_command("grant_membership", reader.email, column.slug)
    with pytest.raises(CommandError, match="positive"):
        call_command("grant_membership", reader.email, column.slug, "--days", "0")
