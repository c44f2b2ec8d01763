from div import safe_div


def test_safe_div():
    assert safe_div(9, 3) == 3
