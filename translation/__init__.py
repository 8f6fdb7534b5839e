"""Machine translation for Jamii (usable on its own: never imports ``fedi``).

Empty until the Translation work lands; kept so the package layout is fixed from the start.
"""
