"""Name resolution shared by the grant and revoke commands."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import CommandError


def holder(name: str, is_group: bool) -> dict:
    if is_group:
        try:
            return {"group": Group.objects.get(name=name)}
        except Group.DoesNotExist:
            raise CommandError(f"no group named {name!r}; create it in the admin first") from None
    users = get_user_model()
    try:
        return {"user": users.objects.get(**{users.USERNAME_FIELD: name})}
    except users.DoesNotExist:
        raise CommandError(f"no user named {name!r}; create it with `manage.py create_user` "
                           "or in the admin first") from None
