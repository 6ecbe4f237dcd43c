"""The orders context: the unified order of every channel, its state machine and its history."""
