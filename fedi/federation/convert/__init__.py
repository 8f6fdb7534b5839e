"""Conversions between our rows and ActivityStreams, named ``x_to_y``: all of them live here."""
