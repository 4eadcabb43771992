"""The registry's REST API (Django REST framework): a second door into the same reconcile functions."""
