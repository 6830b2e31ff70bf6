"""Private feed addresses: one live key per reader and column, signed into the address.

The address carries the key's random secret signed with SECRET_KEY, so a made-up or mistyped
address is refused before the database is asked. Regenerating revokes the old key (its address then
answers 410) and issues a new one. What the feed shows is not decided here: the feed asks the
access rule about the key's reader on every fetch.
"""

import secrets
from datetime import timedelta

from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from members.models import FeedKey

SALT = "members.feed-key"
# The separator is outside the URL-safe alphabet of the secret and the signature.
SEPARATOR = "."
# A fetch is recorded at most this often, so polling feed readers do not write on every request.
LAST_USED_RESOLUTION = timedelta(hours=1)


class FeedKeyUnknown(Exception):
    """No such key: the address is forged, mistyped or from another site."""


class FeedKeyRevoked(Exception):
    """The key existed and was switched off or replaced."""


def signer() -> signing.Signer:
    return signing.Signer(salt=SALT, sep=SEPARATOR)


def feed_key_token(key: FeedKey) -> str:
    return signer().sign(key.secret)


def feed_key_for_token(token: str) -> FeedKey:
    try:
        secret = signer().unsign(token)
    except signing.BadSignature:
        raise FeedKeyUnknown from None
    key = FeedKey.objects.select_related("user", "column").filter(secret=secret).first()
    if key is None:
        raise FeedKeyUnknown
    if key.is_revoked:
        raise FeedKeyRevoked
    return key


def private_feed_path(key: FeedKey, *, atom: bool = False) -> str:
    name = "members:private-feed-atom" if atom else "members:private-feed"
    return reverse(name, kwargs={"token": feed_key_token(key)})


def live_feed_keys(user) -> dict[int, FeedKey]:
    """The reader's live keys by column id, one query for a whole bookshelf."""
    if not user.is_authenticated:
        return {}
    return {key.column_id: key for key in FeedKey.objects.filter(user=user, revoked_at__isnull=True)}


def feed_key_issue(*, user, column) -> FeedKey:
    """A new key for the reader's feed of the column; the previous one, if any, stops working."""
    for _attempt in range(3):
        try:
            with transaction.atomic():
                FeedKey.objects.filter(user=user, column=column, revoked_at__isnull=True).update(revoked_at=timezone.now())
                return FeedKey.objects.create(user=user, column=column, secret=secrets.token_urlsafe(24))
        except IntegrityError:
            # Two clicks at once: the other request's key was created between our revoke and create.
            continue
    raise IntegrityError("could not issue a feed key")


def feed_key_revoke(*, user, column) -> int:
    return FeedKey.objects.filter(user=user, column=column, revoked_at__isnull=True).update(revoked_at=timezone.now())


def feed_key_mark_used(key: FeedKey) -> None:
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        FeedKey.objects.filter(pk=key.pk).update(last_used_at=now)
