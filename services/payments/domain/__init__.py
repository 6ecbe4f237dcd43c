"""The pure payments model: the payment state machine, provider operations, callbacks, rules and events."""
