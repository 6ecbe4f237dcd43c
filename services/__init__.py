"""The bounded contexts of the suite, one package each; none imports another."""
