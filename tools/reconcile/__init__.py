"""`oms reconcile`: the daily consistency report of orders vs payments vs reservations vs refunds (DOMAIN.md 8)."""
