from mathx import power


def test_power():
    assert power(2, 3) == 8
    assert power(3, 2) == 9
    assert power(5, 0) == 1
    assert power(0, 5) == 0
    assert power(10, 1) == 10
    assert power(2, 10) == 1024
