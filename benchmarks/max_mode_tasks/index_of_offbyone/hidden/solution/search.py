def index_of(items, target):
    """Return the index of the first occurrence of target in items, or -1 if absent."""
    for i, item in enumerate(items):
        if item == target:
            return i
    return -1
