from names import sort_names


def test_default_order():
    assert sort_names(["bob", "ann", "cid"]) == ["ann", "bob", "cid"]


def test_reverse():
    assert sort_names(["bob", "ann", "cid"], reverse=True) == ["cid", "bob", "ann"]
    assert sort_names(["bob", "ann", "cid"], True) == ["cid", "bob", "ann"]
    assert sort_names([], reverse=True) == []


def test_copy():
    data = ["b", "a"]
    sort_names(data, reverse=True)
    assert data == ["b", "a"]
