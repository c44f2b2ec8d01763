from mathfn import factorial


def test_factorial_5():
    assert factorial(5) == 120
