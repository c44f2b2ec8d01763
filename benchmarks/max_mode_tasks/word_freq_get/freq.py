def word_freq(words):
    """Return a dict mapping each word to how many times it occurs in words."""
    counts = {}
    for word in words:
        counts[word] = counts.get(word, 1) + 1
    return counts
