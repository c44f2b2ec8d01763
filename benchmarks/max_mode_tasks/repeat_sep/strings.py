def repeat(text, times):
    """Return text repeated `times` times."""
    return text * times
