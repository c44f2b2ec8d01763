"""Scaling out: optional, imported only when `[scale]` asks for it (Ray is an optional extra, `mimo-lsp[ray]`)."""
