def factorial(n):
    """Return n! for an integer n >= 0."""
    result = 1
    for i in range(1, n):
        result *= i
    return result
