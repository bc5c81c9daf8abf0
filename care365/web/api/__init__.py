"""The REST API under /api/v1 (django-ninja): one router per resource, assembled in
config/api.py. It lives in `web`, the top layer, because every operation reaches children through
the access layer in `accounts`."""
