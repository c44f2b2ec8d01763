from bank import Account


def test_withdraw_decreases_balance():
    acc = Account("sam", 50)
    acc.withdraw(20)
    assert acc.balance == 30
