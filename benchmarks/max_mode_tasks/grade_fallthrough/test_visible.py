from grades import grade


def test_low_score_is_f():
    assert grade(50) == "F"
