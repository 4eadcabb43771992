"""Tenants and the grants that let users and groups see and change them."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q


class Role(models.TextChoices):
    VIEWER = "viewer", "viewer (read)"
    OPERATOR = "operator", "operator (patch runtime status, register services)"
    ADMIN = "admin", "admin (everything in the tenant, manage its grants)"


RANK = {Role.VIEWER: 1, Role.OPERATOR: 2, Role.ADMIN: 3}


class Tenant(models.Model):
    """Created on first use, by a twin spec or by an admin."""

    slug = models.CharField(primary_key=True, max_length=63)
    name = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class Grant(models.Model):
    """A role on a tenant, or on one twin of it, held by a user or by a group.

    Revoking deletes the row: access is decided from the rows that exist now,
    so a revocation takes effect on the next check.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="tenant_grants")
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="tenant_grants")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="grants")
    twin_id = models.CharField(max_length=128, blank=True, default="", help_text="empty: the whole tenant")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["tenant_id", "twin_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(user__isnull=False, group__isnull=True)
                                   | Q(user__isnull=True, group__isnull=False), name="grant_user_xor_group"),
            models.UniqueConstraint(fields=["user", "tenant", "twin_id"], condition=Q(user__isnull=False),
                                    name="grant_unique_user"),
            models.UniqueConstraint(fields=["group", "tenant", "twin_id"], condition=Q(group__isnull=False),
                                    name="grant_unique_group"),
        ]

    def __str__(self) -> str:
        who = self.user or f"group {self.group}"
        what = f"{self.tenant_id}/{self.twin_id}" if self.twin_id else self.tenant_id
        return f"{who}: {self.role} on {what}"


class ApiToken(models.Model):
    """A per-user API token. Only its SHA-256 is stored; the token is shown once, when created."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, default="")
    prefix = models.CharField(max_length=12, db_index=True, help_text="the token's first characters, to recognise it")
    key_hash = models.CharField(max_length=64, unique=True)
    read_only = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user_id", "-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user}{', read-only' if self.read_only else ''})"
