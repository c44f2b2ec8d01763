def range_sum(a, b):
    """Return the sum of the integers from a to b, both included (0 if a > b)."""
    return sum(range(a, b))
