"""Authentication backends whose `get_user` (run on every signed-in request) is one precompiled
query instead of a queryset built and compiled anew each time (portal/compiled.py)."""

import functools

from allauth.account.auth_backends import AuthenticationBackend as AllauthAuthenticationBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from portal.compiled import CompiledQuery


@functools.cache
def _user_by_pk():
    model = get_user_model()
    fields = [field.attname for field in model._meta.concrete_fields]
    query = CompiledQuery(lambda *, pk: model._default_manager.filter(pk=pk).order_by().values_list(*fields), pk=1)
    return model, fields, query


class FastGetUser:
    def get_user(self, user_id):
        model, fields, query = _user_by_pk()
        try:
            pk = model._meta.pk.to_python(user_id)
        except Exception:  # noqa: BLE001  (a session naming no valid user means nobody is signed in)
            return None
        if not isinstance(pk, int) or isinstance(pk, bool):
            return super().get_user(user_id)
        row = query.first(pk=pk)
        if row is None:
            return None
        user = model.from_db("default", fields, row)
        return user if self.user_can_authenticate(user) else None


class ModelBackend(FastGetUser, DjangoModelBackend):
    pass


class AuthenticationBackend(FastGetUser, AllauthAuthenticationBackend):
    pass
