"""Use cases of the saga coordinator: the engine, the two saga definitions and the handlers."""
