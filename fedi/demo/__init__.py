"""The local demo federation started by ``make run``."""
