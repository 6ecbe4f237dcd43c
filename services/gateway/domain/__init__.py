"""Pure rules of the gateway: problem mapping, rate-limit buckets, pagination cursors, access policy."""
