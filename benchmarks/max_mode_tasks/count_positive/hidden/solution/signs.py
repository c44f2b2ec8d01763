def count_positive(numbers):
    """Return how many numbers are strictly greater than zero."""
    return sum(1 for x in numbers if x > 0)
