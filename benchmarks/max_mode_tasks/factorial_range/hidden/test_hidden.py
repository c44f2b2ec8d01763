from mathfn import factorial


def test_small():
    assert factorial(0) == 1
    assert factorial(1) == 1
    assert factorial(2) == 2
    assert factorial(3) == 6


def test_larger():
    assert factorial(5) == 120
    assert factorial(10) == 3628800
