def is_leap_year(year):
    """Return True if year is a leap year in the Gregorian calendar.

    A year is a leap year if it is divisible by 4, except years divisible by 100,
    which are leap years only if they are also divisible by 400.
    """
    raise NotImplementedError
