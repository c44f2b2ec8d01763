import math


def rectangle_area(width, height):
    """Return the area of a rectangle."""
    return width * height


def rectangle_perimeter(width, height):
    """Return the perimeter of a rectangle."""
    return 2 * (width + height)


def circle_area(radius):
    """Return the area of a circle."""
    return math.pi * radius ** 2
