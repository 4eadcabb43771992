"""Signed, retried webhooks for alarm events (the Standard Webhooks specification), through a durable outbox."""
