def percent(part, whole):
    """Return part as a percentage of whole (50 for 1 out of 2)."""
    return part / whole * 100
