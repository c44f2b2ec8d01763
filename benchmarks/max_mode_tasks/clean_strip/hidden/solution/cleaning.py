def clean(text):
    """Return text without whitespace at either end."""
    return text.strip()
