from geometry import rectangle_perimeter


def test_perimeter():
    assert rectangle_perimeter(3, 4) == 14
