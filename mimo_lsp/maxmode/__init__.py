"""Max Mode: several candidate edits per step, each checked, the best one kept.

`edit_format` holds the pure parts for small models: which function to rewrite, the prompt that asks
for it, and how a reply is parsed and applied to the file. No model calls, no LSP imports.
"""
