"""Payments: authorizations, captures, voids and refunds at payment providers, and their callbacks."""
