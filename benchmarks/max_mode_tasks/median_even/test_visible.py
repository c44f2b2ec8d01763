from stats import median


def test_even_length():
    assert median([1, 3, 5, 7]) == 4
