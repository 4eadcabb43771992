"""Reconcile twin specs into the registry: the only code that writes a Twin.

Every write, whether it comes from a twin.yaml scan, the REST API or a running
service, goes through this package: one transaction under one lock (so
writers queue instead of racing), the change decided by comparing documents
inside that transaction, and every real change written with its UpdateCmd
(the JSON Patch) and its PortalEvent beside it.
"""

from .core import ScanReport
from .runtime import announce, update_runtime, update_runtime_many
from .scan import known_hashes, reconcile_scan, scan_roots

__all__ = ["ScanReport", "known_hashes", "reconcile_scan", "scan_roots", "update_runtime", "update_runtime_many", "announce"]
