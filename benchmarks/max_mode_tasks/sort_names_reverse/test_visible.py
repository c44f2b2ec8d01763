from names import sort_names


def test_reverse():
    assert sort_names(["dan", "amy", "cat"], reverse=True) == ["dan", "cat", "amy"]
