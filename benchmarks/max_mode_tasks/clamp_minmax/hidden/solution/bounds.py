def clamp(x, lo, hi):
    """Limit x to the closed interval [lo, hi]."""
    return max(lo, min(x, hi))
