"""Live sources read as imports (estate sync): ServiceNow's Table API and SAP LeanIX's GraphQL API."""

from estate.sync.core import RECONCILE_EVERY, STALE_AFTER_HOURS, SyncSummary, record_provenance, source_status, sync
from estate.sync.http import SyncError, SyncUsageError

__all__ = [
    "RECONCILE_EVERY",
    "STALE_AFTER_HOURS",
    "SyncError",
    "SyncSummary",
    "SyncUsageError",
    "record_provenance",
    "source_status",
    "sync",
]
