"""The broker address of the stacks: the one parser the platform uses (dataplane.mqtt)."""

from dataplane.mqtt import DEFAULT_MQTT_URL, BrokerConfig, parse_mqtt_url

__all__ = ["DEFAULT_MQTT_URL", "BrokerConfig", "parse_mqtt_url"]
