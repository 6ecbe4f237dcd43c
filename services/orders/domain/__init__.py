"""Pure domain of orders: the aggregate, its state machine, its rules and its events."""
