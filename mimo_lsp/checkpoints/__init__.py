"""Checkpoints: content-addressed blobs, the SQLite journal, and change tracking of the workspace."""
