"""Routes of the customer portal (mounted at /portal/ by web/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
