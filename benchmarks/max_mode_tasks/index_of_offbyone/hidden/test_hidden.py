from search import index_of


def test_found():
    assert index_of(["a", "b", "c"], "a") == 0
    assert index_of(["a", "b", "c"], "c") == 2
    assert index_of([5, 7, 5], 5) == 0
    assert index_of([1, 2, 3, 2], 2) == 1


def test_missing():
    assert index_of([1, 2, 3], 9) == -1
    assert index_of([], 1) == -1
