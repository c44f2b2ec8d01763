def largest(items):
    """Return the largest item of a non-empty list."""
    return max(items)


def smallest(items):
    """Return the smallest item of a non-empty list."""
    return min(items)
