"""The saga coordinator: places and cancels orders across services, undoing what a failed step left behind."""
