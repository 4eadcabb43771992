"""The alarm REST API (mounted at /api/alarms and /api/incidents), in NetBox's shape."""
