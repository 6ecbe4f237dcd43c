"""The customers context: one customer master with deduplicated identities, tiers, tags and masked PII."""
