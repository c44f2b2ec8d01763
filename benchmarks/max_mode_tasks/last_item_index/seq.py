def first(items):
    """Return the first item of a non-empty list."""
    return items[0]


def last(items):
    """Return the last item of a non-empty list."""
    return items[len(items)]
