"""Inventory: warehouses, stock per SKU and warehouse, its ledger, and reservations that never oversell."""
