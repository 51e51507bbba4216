import pytest

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_chromium_renders_the_admin_login(page):
    page.goto("/admin/login/")
    assert "Log in" in page.title()
