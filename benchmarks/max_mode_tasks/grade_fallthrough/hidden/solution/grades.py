def grade(score):
    """Return the letter grade for a score from 0 to 100: A (90+), B (80+), C (70+), else F."""
    if score >= 90:
        return "A"
    if score >= 80:
        return "B"
    if score >= 70:
        return "C"
    return "F"
