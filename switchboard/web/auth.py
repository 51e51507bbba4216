"""Sign in and out (shared with the customer portal) and the agent-only page guard."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from switchboard.accounts.access import is_agent
from switchboard.accounts.signin import unconfirmed_with_password
from switchboard.core.errors import SwitchboardError

PORTAL_HOME = "/portal/"


def home_for(user: Any) -> str:
    """Where a signed-in user lands: agents and admins in the workspace, end-users in the portal."""
    return reverse("web-home") if is_agent(user) else PORTAL_HOME


class EmailAuthenticationForm(AuthenticationForm):
    """Django's form with the e-mail address as the user name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email"
        self.fields["username"].widget.input_type = "email"
        self.fields["username"].widget.attrs.update({"autocomplete": "email", "autofocus": True})
        self.unconfirmed = False

    def clean(self) -> dict[str, Any]:
        """As Django's, but a registrant who has not confirmed their address yet (and typed
        the right password) is told to confirm, with a way to resend the link."""
        try:
            return super().clean()
        except ValidationError:
            email = self.cleaned_data.get("username") or ""
            password = self.cleaned_data.get("password") or ""
            if email and password and unconfirmed_with_password(email, password) is not None:
                self.unconfirmed = True
                raise ValidationError(
                    "Please confirm your email address first: follow the link in the email we "
                    "sent when you registered.",
                    code="unconfirmed",
                ) from None
            raise


class SignInView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return home_for(self.request.user)

    def get_redirect_url(self) -> str:
        # An end-user sent here from an agent page goes to the portal, not back into a loop.
        url = super().get_redirect_url()
        if url and not is_agent(self.request.user) and not url.startswith(PORTAL_HOME):
            return ""
        return url


class SignOutView(auth_views.LogoutView):
    """POST /logout/ only (Django 5): a GET cannot sign anyone out."""


def render_error(request: HttpRequest, exc: SwitchboardError) -> HttpResponse:
    """A clear message with the error's 4xx status, never a 500."""
    return render(
        request,
        "web/error.html",
        {"message": exc.message, "status": exc.status_code},
        status=exc.status_code,
    )


def agent_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Agents and admins only: anonymous → /login/?next=..., end-users → the portal.

    Errors the actions raise (NotFound, PermissionDenied, ValidationFailed) become their 4xx.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_agent(request.user):
            return redirect(PORTAL_HOME)
        try:
            return view(request, *args, **kwargs)
        except SwitchboardError as exc:
            return render_error(request, exc)

    return wrapper
