"""Pure rules of the inventory context: stock levels, reservations, allocation, breaker and pressure."""
