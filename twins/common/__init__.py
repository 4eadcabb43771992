"""What every twin stack shares: MQTT_URL, the publisher, the message format, alarms, the UI.

A stack (twins/lift, twins/energy_hvac, ...) is a model plus a StackDefinition;
`twins.common.cli.main(definition)` runs it.
"""

from dataplane.mqtt import DEFAULT_MQTT_URL, BrokerConfig, parse_mqtt_url
from twins.common.alarm import ThresholdAlarm
from twins.common.config import ConfigError, RunSettings
from twins.common.messages import Alert, iso_utc, telemetry_payload
from twins.common.publisher import Backoff, Publisher
from twins.common.runner import BrokerUnreachable, Model, StackDefinition, StackRunner
from twins.common.stackspec import Binding, StackSpec, StackSpecError, load_stack_spec

__all__ = [
    "DEFAULT_MQTT_URL", "Alert", "Backoff", "Binding", "BrokerConfig", "BrokerUnreachable", "ConfigError",
    "Model", "Publisher", "RunSettings", "StackDefinition", "StackRunner", "StackSpec", "StackSpecError",
    "ThresholdAlarm", "iso_utc", "load_stack_spec", "parse_mqtt_url", "telemetry_payload",
]
