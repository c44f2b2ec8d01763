from nested import flatten


def test_flatten():
    assert flatten([[1, 2], [3]]) == [1, 2, 3]
    assert flatten([]) == []
    assert flatten([[], [1], []]) == [1]
    assert flatten([["a"], ["b", "c"], ["d"]]) == ["a", "b", "c", "d"]


def test_one_level_only():
    assert flatten([[[1]], [2]]) == [[1], 2]
