def flatten(lists):
    """Return one list with the items of each list in `lists`, in order.

    flatten([[1, 2], [3]]) == [1, 2, 3]
    """
    return [item for sub in lists for item in sub]
