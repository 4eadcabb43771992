"""Registry tables. They hold state; the rules that change it live in reconcile.py.

Field names follow the original platform's ERD (Twin, TwinUI, Stream,
PortalEvent, UpdateCmd); what the ERD did not have sits beside them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from tenancy.access import Access


class TwinQuerySet(models.QuerySet):
    """Twins, scoped by `visible_to` (NetBox's RestrictedQuerySet.restrict, for an Access)."""

    def visible_to(self, access: Access) -> TwinQuerySet:
        """The twins `access` may see: whole granted tenants and single granted twins."""
        return self.filter(access.twin_filter())


class TwinRowQuerySet(models.QuerySet):
    """Rows that belong to one twin (its events): visible with the twin they are about."""

    def visible_to(self, access: Access) -> TwinRowQuerySet:
        return self.filter(access.twin_filter(id_field="twin_id"))


class TenantRowQuerySet(models.QuerySet):
    """Tenant-wide rows (spec errors): visible to whole-tenant grants of their tenant only."""

    def visible_to(self, access: Access) -> TenantRowQuerySet:
        return self.filter(access.tenant_filter())


class Twin(models.Model):
    """A registered twin. Spec fields mirror its twin.yaml; runtime fields are its own.

    `status`, `source` and the counters are columns so lists can filter and
    sort on them; the document they come from is the spec fields plus
    `runtime`, which `reconcile.twin_state()` assembles.
    """

    class Source(models.TextChoices):
        FILE = "file", "twin.yaml"
        API = "api", "REST API"

    id = models.CharField(primary_key=True, max_length=128)
    name = models.CharField(max_length=200)
    tenant = models.CharField(max_length=63, db_index=True)
    description = models.TextField(blank=True, default="")
    # The DTDL Interface (DTMI) the twin.yaml names; "" for an untyped twin. See DtdlModel.
    model = models.CharField(max_length=2048, blank=True, default="", db_index=True)
    metadata = models.JSONField(default=dict)
    interfaces = models.JSONField(default=dict)
    dependencies = models.JSONField(default=dict)
    # Set by running systems (health, liveness, last_seen, ...); a rescan keeps it.
    runtime = models.JSONField(default=dict, blank=True)

    status = models.CharField(max_length=32, db_index=True, default="active")
    # "|lift|building|": metadata.domain in a form every database can filter with LIKE.
    domains = models.CharField(max_length=2200, blank=True, default="")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.FILE, db_index=True)
    source_path = models.CharField(max_length=1024, blank=True, default="", db_index=True)
    content_hash = models.CharField(max_length=64, blank=True, default="")
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TwinQuerySet.as_manager()

    class Meta:
        ordering = ["tenant", "id"]
        indexes = [models.Index(fields=["tenant", "status"])]

    def __str__(self) -> str:
        return f"{self.id} ({self.tenant})"


class TwinUI(models.Model):
    """The twin's portal card."""

    twin = models.OneToOneField(Twin, on_delete=models.CASCADE, primary_key=True, related_name="ui")
    name = models.CharField(max_length=200)
    ui_url = models.CharField(max_length=1024, blank=True, default="")
    dtr_id = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        verbose_name = "twin card"

    def __str__(self) -> str:
        return self.name


class Stream(models.Model):
    """One data stream a twin declares; the ingest maps topics to twins through it."""

    twin = models.ForeignKey(Twin, on_delete=models.CASCADE, related_name="streams")
    kind = models.CharField(max_length=32)
    topic = models.CharField(max_length=512)
    uri = models.CharField(max_length=600)
    signal = models.CharField(max_length=128, blank=True, default="")
    unit = models.CharField(max_length=32, blank=True, default="")
    interval = models.FloatField(null=True, blank=True, help_text="expected seconds between messages")

    class Meta:
        ordering = ["twin_id", "id"]
        constraints = [models.UniqueConstraint(fields=["twin", "kind", "topic"], name="stream_unique_per_twin")]
        indexes = [models.Index(fields=["kind", "topic"])]

    def __str__(self) -> str:
        return self.uri


class Dependency(models.Model):
    """One declared dependency, kept beside the JSON so filters and dependents are plain queries."""

    twin = models.ForeignKey(Twin, on_delete=models.CASCADE, related_name="dependency_rows")
    target = models.CharField(max_length=128, db_index=True)
    kind = models.CharField(max_length=8)  # static | dynamic

    class Meta:
        ordering = ["twin_id", "kind", "target"]
        constraints = [models.UniqueConstraint(fields=["twin", "kind", "target"], name="dependency_unique")]

    def __str__(self) -> str:
        return f"{self.twin_id} -> {self.target} ({self.kind})"


class Service(models.Model):
    """A platform or tenant service (ingest, a store, a twin stack) and its reported health."""

    id = models.CharField(primary_key=True, max_length=128)
    category = models.CharField(max_length=64, db_index=True)
    tenant = models.CharField(max_length=63, blank=True, default="", db_index=True,
                              help_text="empty: a platform service")
    interfaces = models.JSONField(default=dict, blank=True)
    health = models.JSONField(default=dict, blank=True)
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.id} ({self.category})"


class PortalEvent(models.Model):
    """The outbox the portal streams from; ids only ever grow, so they resume a stream."""

    id = models.BigAutoField(primary_key=True)
    tenant = models.CharField(max_length=63, db_index=True, blank=True, default="")
    # The twin an event is about (blank for services, spec errors): readers granted one twin get its events.
    twin_id = models.CharField(max_length=128, db_index=True, blank=True, default="")
    etype = models.CharField(max_length=32)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = TwinRowQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.id} {self.etype}"


class UpdateCmd(models.Model):
    """One applied change to a twin, as the JSON Patch (RFC 6902) from its old state.

    Replaying a twin's commands in order from `{}` rebuilds any earlier version,
    so the rows outlive the twin: no database constraint ties them to it.
    """

    class Kind(models.TextChoices):
        CREATE = "create"
        UPDATE = "update"
        DEPRECATE = "deprecate"
        DELETE = "delete"
        RUNTIME = "runtime"

    id = models.BigAutoField(primary_key=True)
    twin = models.ForeignKey(Twin, on_delete=models.DO_NOTHING, db_constraint=False, related_name="history")
    source = models.CharField(max_length=1100, help_text="file:<path>, api:<user> or service:<name>")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    patch = models.JSONField(default=list)
    revision = models.PositiveIntegerField()
    ts = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "update command"
        indexes = [models.Index(fields=["twin", "-id"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.twin_id} r{self.revision}"


class SpecFileError(models.Model):
    """A problem in a twin.yaml as it is now on disk; removed once the file is fixed."""

    class Kind(models.TextChoices):
        INVALID = "invalid", "invalid file"
        CONFLICT = "conflict", "conflicts with another twin"

    path = models.CharField(max_length=1024, db_index=True)
    line = models.PositiveIntegerField()
    column = models.PositiveIntegerField()
    message = models.TextField()
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.INVALID)
    sha256 = models.CharField(max_length=64)
    tenant = models.CharField(max_length=63, blank=True, default="", db_index=True)
    twin_id = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantRowQuerySet.as_manager()

    class Meta:
        ordering = ["path", "line", "column"]
        verbose_name = "spec error"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class ScanStatus(models.Model):
    """The last scan of the twin roots (one row): what the portal's Scanner badge shows."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    finished_at = models.DateTimeField()
    files = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    changed = models.BooleanField(default=False)
    # reconcile.models.fingerprint of the model files last reconciled; when it moves, typed twins are re-checked.
    models_fingerprint = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        verbose_name = "scan status"

    def __str__(self) -> str:
        return f"scan at {self.finished_at}: {self.files} files, {self.errors} errors"


class DtdlModel(models.Model):
    """One DTDL Interface from a models/ file, as last accepted; reconcile.models writes it.

    Models are shared by every tenant. A DTMI version is immutable: once
    registered, a file may not change the Interface without bumping the
    version (as Azure Digital Twins enforces), so `document` is the
    Interface every twin of that DTMI was checked against.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "active"
        INVALID = "invalid", "file broken, last good version kept"

    dtmi = models.CharField(primary_key=True, max_length=2048)
    display_name = models.CharField(max_length=512, blank=True, default="")
    description = models.TextField(blank=True, default="")
    source_path = models.CharField(max_length=1024, db_index=True)
    document = models.JSONField(help_text="the Interface as written in its file")
    extends = models.JSONField(default=list, help_text="DTMIs it extends directly")
    ancestors = models.JSONField(default=list, help_text="itself and every DTMI it extends, transitively")
    contents = models.JSONField(default=list, help_text="all contents, inherited ones included")
    content_hash = models.CharField(max_length=64, help_text="sha256 of the canonical JSON of document")
    file_hash = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["dtmi"]
        verbose_name = "DTDL model"

    def __str__(self) -> str:
        return self.dtmi
