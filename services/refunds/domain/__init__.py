"""The pure refunds domain: refund and exception aggregates, policies as data, rules and domain events."""
