import math

from geometry import circle_area, rectangle_area, rectangle_perimeter


def test_perimeter():
    assert rectangle_perimeter(2, 3) == 10
    assert rectangle_perimeter(1, 1) == 4
    assert rectangle_perimeter(0, 5) == 10
    assert rectangle_perimeter(2.5, 0.5) == 6.0


def test_others_unchanged():
    assert rectangle_area(2, 3) == 6
    assert circle_area(1) == math.pi
