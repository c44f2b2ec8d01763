def average(values):
    """Return the mean of values."""
    return sum(values) / len(values)
