"""Refunds: refund requests, their shipping-fee and approval policies, returns and QC, and order exceptions."""
