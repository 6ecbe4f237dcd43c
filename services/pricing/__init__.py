"""Pricing: SKU prices, costs and floors, promotions with explicit stacking, the launch check, stored quotes."""
