"""Alarms: declarative rules evaluated per twin, an alarm lifecycle, incidents by dependency correlation.

Writes go through `alarms.services`, reads through `alarms.selectors`; the
rule engine (`alarms.rules`, `alarms.engine`, `alarms.evaluator`) calls the
same services, so an alarm raised by a rule, by a device or acknowledged by a
user ends in the same rows and the same events.
"""
