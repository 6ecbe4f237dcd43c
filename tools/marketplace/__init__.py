"""A simulated marketplace: serves orders in each platform's own format over HTTP, and misbehaves on request."""
