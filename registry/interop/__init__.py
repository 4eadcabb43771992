"""Interoperability with other digital-twin systems (Azure Digital Twins)."""
