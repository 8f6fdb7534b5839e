"""Outgoing federation: domain events become activities, activities become signed POSTs."""
