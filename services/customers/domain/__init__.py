"""Pure customer model: identities, the Customer aggregate, PII policy and duplicate scoring."""
