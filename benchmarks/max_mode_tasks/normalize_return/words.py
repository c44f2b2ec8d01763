def normalize(word):
    """Return word without surrounding whitespace, in lower case."""
    cleaned = word.strip().lower()
