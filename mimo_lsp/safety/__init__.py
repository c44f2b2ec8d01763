"""Safety: policy (allow/ask/deny), sandbox (bubblewrap), audit trail (hash-chained)."""
