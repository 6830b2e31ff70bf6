"""Authentication backends whose `get_user` (run on every signed-in request) is one precompiled
query instead of a queryset built and compiled anew each time (portal/compiled.py).

A page whose own first query can bring the user's row along (a member's article page, see
articles.selectors.reading_pass) hands that row over with `user_row_loaded`: Django's
`get_user` then runs as always (backend, active flag, session hash, fallback keys), only
without a round trip of its own."""

import contextlib
import contextvars
import functools

from allauth.account.auth_backends import AuthenticationBackend as AllauthAuthenticationBackend
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from portal.compiled import CompiledQuery

_loaded_row: contextvars.ContextVar[tuple | None] = contextvars.ContextVar("loaded_user_row", default=None)


@functools.cache
def user_fields() -> list[str]:
    """Every concrete field of the user model, primary key first."""
    meta = get_user_model()._meta
    return [meta.pk.attname] + [field.attname for field in meta.concrete_fields if field is not meta.pk]


def user_row_queryset(*, pk: int):
    """The signed-in user's row, in the order of user_fields()."""
    return get_user_model()._default_manager.filter(pk=pk).order_by().values_list(*user_fields())


@functools.cache
def _user_by_pk() -> CompiledQuery:
    return CompiledQuery(user_row_queryset, pk=1)


def _parsed_pk(raw):
    try:
        return get_user_model()._meta.pk.to_python(raw)
    except Exception:  # noqa: BLE001  (a session naming no valid user means nobody is signed in)
        return None


def _is_int(pk) -> bool:
    return isinstance(pk, int) and not isinstance(pk, bool)


def session_user_pk(request) -> int | None:
    """The primary key of the user the request's session names (not yet checked: get_user does that)."""
    pk = _parsed_pk(request.session.get(SESSION_KEY))
    return pk if _is_int(pk) else None


@contextlib.contextmanager
def user_row_loaded(row: tuple | None):
    """Within this block, a `get_user` for the user of this row (from user_row_queryset) uses it."""
    token = _loaded_row.set(row)
    try:
        yield
    finally:
        _loaded_row.reset(token)


class FastGetUser:
    def get_user(self, user_id):
        model = get_user_model()
        pk = _parsed_pk(user_id)
        if pk is None:
            return None
        if not _is_int(pk):
            return super().get_user(user_id)
        row = _loaded_row.get()
        if row is None or row[0] != pk:
            row = _user_by_pk().first(pk=pk)
        if row is None:
            return None
        user = model.from_db("default", user_fields(), row)
        return user if self.user_can_authenticate(user) else None


class ModelBackend(FastGetUser, DjangoModelBackend):
    pass


class AuthenticationBackend(FastGetUser, AllauthAuthenticationBackend):
    pass
