from bsearch import binary_search


def test_every_position_is_found():
    for n in range(1, 12):
        items = list(range(0, 2 * n, 2))
        for i, x in enumerate(items):
            assert binary_search(items, x) == i, (items, x)


def test_missing():
    assert binary_search([], 3) == -1
    assert binary_search([1, 3, 5], 4) == -1
    assert binary_search([1, 3, 5], 0) == -1
    assert binary_search([1, 3, 5], 6) == -1
