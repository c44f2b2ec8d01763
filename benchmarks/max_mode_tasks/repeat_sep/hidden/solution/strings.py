def repeat(text, times, sep=""):
    """Return text repeated `times` times."""
    return sep.join([text] * times)
