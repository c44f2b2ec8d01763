"""mimo-lsp: a language server that runs long-horizon coding-agent tasks on a local model."""

__version__ = "0.1.0"
