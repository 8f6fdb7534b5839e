"""The inbox: verify a delivery, store it durably, then process it one activity type at a time."""
