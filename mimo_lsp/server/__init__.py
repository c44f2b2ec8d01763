"""LSP adapter (pygls): turns commands into agent tasks and agent events into notifications."""
