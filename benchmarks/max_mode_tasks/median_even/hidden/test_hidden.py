from stats import mean, median


def test_odd_lengths():
    assert median([3, 1, 2]) == 2
    assert median([5]) == 5
    assert median([9, 1, 8, 2, 7]) == 7


def test_even_lengths():
    assert median([1, 2, 3, 4]) == 2.5
    assert median([4, 1]) == 2.5
    assert median([10, 2, 4, 8]) == 6
    assert median([1, 1, 1, 1]) == 1


def test_input_not_modified():
    data = [3, 1, 2, 4]
    median(data)
    assert data == [3, 1, 2, 4]


def test_mean_unchanged():
    assert mean([1, 2, 3, 4]) == 2.5
