def count_words(text):
    """Return the number of whitespace-separated words in text."""
    return len(text.split(" "))
