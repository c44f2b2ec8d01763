def clamp(x, lo, hi):
    """Limit x to the closed interval [lo, hi]."""
    return min(lo, max(x, hi))
