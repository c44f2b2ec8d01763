from grades import grade


def test_grades():
    assert grade(95) == "A"
    assert grade(90) == "A"
    assert grade(85) == "B"
    assert grade(70) == "C"


def test_fail():
    assert grade(69) == "F"
    assert grade(0) == "F"
    assert grade(45.5) == "F"
