from search import index_of


def test_index_of():
    assert index_of(["x", "y", "z"], "y") == 1
