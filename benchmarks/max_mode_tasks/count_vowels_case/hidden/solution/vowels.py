def count_vowels(text):
    """Return how many vowels (a, e, i, o, u; either case) are in text."""
    count = 0
    for ch in text:
        if ch.lower() in "aeiou":
            count += 1
    return count
