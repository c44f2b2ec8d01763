from bsearch import binary_search


def test_single_item_is_found():
    assert binary_search([7], 7) == 0
