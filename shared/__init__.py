"""Building blocks every service uses: settings, persistence, messaging, gRPC, telemetry (no domain logic)."""
