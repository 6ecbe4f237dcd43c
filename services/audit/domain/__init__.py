"""Pure audit rules: entries, the hash chain and its verification, retention, input checks."""
