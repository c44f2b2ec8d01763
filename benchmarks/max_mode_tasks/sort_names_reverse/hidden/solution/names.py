def sort_names(names, reverse=False):
    """Return a new list with the names sorted alphabetically."""
    return sorted(names, reverse=reverse)
