"""The ``jamii`` command line."""
