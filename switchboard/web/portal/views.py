"""Customer portal pages: thin views that parse a form, call one query or action, and render.

Forbidden and missing records look the same ("not found", 404). Action errors become a 4xx page
or a re-rendered form with the message; each write runs in one transaction, so a failed request
writes nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.views.decorators.http import require_http_methods, require_POST

from switchboard.accounts import access
from switchboard.accounts import actions as account_actions
from switchboard.accounts.models import PersonalAccess, Region, Role, User
from switchboard.accounts.signin import awaiting_confirmation
from switchboard.core.errors import NotFound, SwitchboardError, ValidationFailed
from switchboard.core.paging import paginate
from switchboard.notify.outbox.queue import queue_email
from switchboard.tickets import projection
from switchboard.tickets import queries as ticket_queries
from switchboard.tickets.actions.comments import post_comment
from switchboard.tickets.actions.create import open_ticket
from switchboard.tickets.actions.update import update_ticket
from switchboard.tickets.actions.uploads import NewFile, Posted
from switchboard.tickets.attachments import DISCOURAGED_EXTENSIONS, DISCOURAGED_WARNING
from switchboard.tickets.models import Channel, TicketStatus
from switchboard.tickets.secret_scan import scan_text
from switchboard.web.portal import forms, queries, ratelimit

PER_PAGE = 25
KIND_LABELS = {
    "private_key": "a private key",
    "aws_access_key": "an AWS access key",
    "aws_secret_key": "an AWS secret key",
    "github_token": "a GitHub token",
    "gitlab_token": "a GitLab token",
    "slack_token": "a Slack token",
    "stripe_key": "a Stripe key",
    "google_api_key": "a Google API key",
    "jwt": "a JSON Web Token",
    "bearer_token": "a bearer token",
    "basic_auth": "basic-auth credentials",
    "url_password": "a password in a URL",
    "password_assignment": "a password",
    "generic_api_key": "an API key or secret",
}
SECRET_ADVICE = (
    "remove it before you send, and rotate the credential if it was real: anything you send is "
    "stored with the ticket and may be emailed to the people on it."
)


# --- helpers -----------------------------------------------------------------------------------


def _error(request: HttpRequest, exc: SwitchboardError) -> HttpResponse:
    status = exc.status_code if 400 <= exc.status_code < 500 else 400
    title = "Not found" if isinstance(exc, NotFound) else "Something is not right"
    message = (
        "There is no such page, or you don't have access to it."
        if isinstance(exc, NotFound)
        else exc.message
    )
    return render(request, "portal/error.html", {"title": title, "message": message}, status=status)


def not_found(request: HttpRequest) -> HttpResponse:
    return _error(request, NotFound())


def describe_findings(findings: list[Any]) -> list[str]:
    """Readable lines for secret-scan findings (Finding objects or their stored dicts)."""
    lines = []
    for finding in findings:
        kind = finding["kind"] if isinstance(finding, dict) else finding.kind
        preview = finding.get("preview", "") if isinstance(finding, dict) else finding.preview
        label = KIND_LABELS.get(kind, kind.replace("_", " "))
        lines.append(f"{label} ({preview})" if preview else label)
    return lines


def _discouraged(files: list[Any]) -> list[str]:
    names = []
    for upload in files:
        name = str(getattr(upload, "name", "")).lower()
        if any(name.endswith(ext) for ext in DISCOURAGED_EXTENSIONS):
            names.append(upload.name)
    return names


def _entitlement(user: Any) -> dict[str, Any]:
    org = user.organization if getattr(user, "organization_id", None) else None
    return {"organization": org, "unverified": org is None}


# --- lists -------------------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """ "My tickets" and, where the sharing rules allow, "My organization's tickets"."""
    status = request.GET.get("status", "")
    if status not in dict(forms.STATUS_FILTERS):
        status = ""
    user = request.user
    # ?page=abc or 0 is the first page; a page past the end is an empty page, never an error.
    mine = paginate(queries.my_tickets(user, status=status), request.GET.get("page"), PER_PAGE)
    org_page = None
    if queries.sees_organization(user):
        org_page = paginate(
            queries.organization_tickets(user, status=status),
            request.GET.get("org_page"),
            PER_PAGE,
        )
    return render(
        request,
        "portal/home.html",
        {
            "mine": mine,
            "mine_rows": _rows(user, mine.object_list),
            "org_page": org_page,
            "org_rows": _rows(user, org_page.object_list) if org_page is not None else [],
            "status": status,
            "status_filters": forms.STATUS_FILTERS,
            **_entitlement(user),
        },
    )


def _rows(user: Any, tickets: Any) -> list[dict[str, Any]]:
    """List rows as the customer may see the tickets (tickets.projection), with the requester's
    name (the lists select the requester)."""
    tickets = list(tickets)
    views = projection.project_tickets(access.viewer_for(user), tickets)
    return [
        {"ticket": view, "requester_name": t.requester.get_full_name()}
        for view, t in zip(views, tickets, strict=True)
    ]


# --- a ticket ----------------------------------------------------------------------------------


def _ticket_page(
    request: HttpRequest,
    ticket_id: Any,
    *,
    reply_form: Any = None,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    ticket = ticket_queries.ticket_for_user(request.user, ticket_id)
    viewer = access.viewer_for(request.user)
    # What the customer sees of the ticket and its conversation: the one projection.
    view = projection.ticket_view_for(request.user, ticket)
    comments = projection.project_comments(
        viewer, ticket_queries.comments_for(request.user, ticket)
    )
    can_reply = access.can_comment(request.user, ticket)
    return render(
        request,
        "portal/ticket.html",
        {
            "ticket": view,
            "requester_name": ticket.requester.get_full_name(),
            "organization_name": ticket.organization.name if ticket.organization else "",
            "comments": comments,
            "can_reply": can_reply,
            "reply_form": reply_form or forms.ReplyForm(),
            "is_closed": view.is_closed,
            # The requester (only) may mark it solved, as in Zendesk; not once solved or closed.
            "can_solve": ticket.requester_id == request.user.pk
            and view.status not in (TicketStatus.SOLVED, TicketStatus.CLOSED),
            "reopens": view.status in (TicketStatus.PENDING, TicketStatus.SOLVED),
            "discouraged_warning": DISCOURAGED_WARNING,
            "discouraged_extensions": sorted(DISCOURAGED_EXTENSIONS),
            # Who is copied (prefetched with the ticket): everyone who sees the ticket sees
            # them; the requester changes them (portal/cc_views.py).
            "ccs": sorted(ticket.ccs.all(), key=lambda u: (u.get_full_name().lower(), u.pk)),
            "edits_ccs": ticket.requester_id == request.user.pk and not view.is_closed,
            **extra,
        },
        status=status,
    )


@login_required
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    try:
        return _ticket_page(request, ticket_id)
    except SwitchboardError as exc:
        return _error(request, exc)


def _new_files(form: Any) -> list[NewFile]:
    return [NewFile(upload.name, upload) for upload in form.cleaned_data["attachments"]]


def _after_write_warnings(request: HttpRequest, posted: Posted) -> None:
    found = describe_findings(posted.comment.secret_findings or [])
    if found:
        messages.warning(
            request,
            f"Your message looks like it contains {', '.join(found)}: {SECRET_ADVICE}",
        )
    for attachment in posted.attachments:
        if attachment.warning:
            messages.warning(request, f"{attachment.filename}: {attachment.warning}")
        in_file = describe_findings(attachment.secret_findings or [])
        if in_file:
            messages.warning(
                request,
                f"{attachment.filename} looks like it contains {', '.join(in_file)}: "
                f"{SECRET_ADVICE}",
            )


@login_required
@require_POST
def reply(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """A public reply (with attachments). On pending/solved it reopens the ticket; on a closed
    ticket it creates a follow-up (the post_comment action decides both)."""
    try:
        ticket = ticket_queries.ticket_for_user(request.user, ticket_id, access.Action.COMMENT)
    except SwitchboardError as exc:
        return _error(request, exc)
    form = forms.ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _ticket_page(request, ticket.pk, reply_form=form, status=422)
    try:
        posted = post_comment(
            ticket=ticket,
            author=request.user,
            body=form.cleaned_data["body"],
            public=True,
            channel=Channel.WEB,
            files=_new_files(form),
        )
    except SwitchboardError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _ticket_page(request, ticket.pk, reply_form=form, status=exc.status_code)
    comment = posted.comment
    if comment.ticket_id != ticket.pk:
        messages.info(
            request,
            f"Ticket #{ticket.pk} was closed, so your reply opened a follow-up: "
            f"ticket #{comment.ticket_id}.",
        )
    else:
        messages.success(request, "Your reply was sent.")
    _after_write_warnings(request, posted)
    return redirect("portal:ticket", ticket_id=comment.ticket_id)


@login_required
@require_POST
def solve(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The requester marks their request solved (update_ticket checks that they are the
    requester and that the ticket is not closed; the change is audited "via portal")."""
    try:
        ticket = ticket_queries.ticket_for_user(request.user, ticket_id)
        update_ticket(
            ticket=ticket, actor=request.user, via=Channel.WEB, status=TicketStatus.SOLVED
        )
    except SwitchboardError as exc:
        return _error(request, exc)
    messages.success(request, "Your request is marked as solved. Thank you!")
    return redirect("portal:ticket", ticket_id=ticket.pk)


@login_required
def download(request: HttpRequest, attachment_id: int) -> HttpResponse:
    try:
        attachment = queries.attachment_for_user(request.user, attachment_id)
        handle = attachment.file.open("rb")
    except SwitchboardError as exc:
        return _error(request, exc)
    except OSError:
        return _error(request, NotFound())
    return FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type or "application/octet-stream",
    )


# --- a new ticket ------------------------------------------------------------------------------


def _new_ticket_page(request: HttpRequest, form: Any, *, status: int = 200, **extra: Any):
    return render(
        request,
        "portal/new_ticket.html",
        {
            "form": form,
            "severities": forms.SEVERITIES,
            "region_note": forms.REGION_NOTE,
            "call_note": forms.CALL_NOTE,
            "discouraged_warning": DISCOURAGED_WARNING,
            "discouraged_extensions": sorted(DISCOURAGED_EXTENSIONS),
            **_entitlement(request.user),
            **extra,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def new_ticket(request: HttpRequest) -> HttpResponse:
    """The best-practice form; composes a structured description and calls create_ticket."""
    user = request.user
    fields = queries.portal_ticket_fields()
    if request.method == "GET":
        org = user.organization if user.organization_id else None
        initial = {"preferred_region": org.preferred_region if org else Region.ALL}
        return _new_ticket_page(request, forms.TicketForm(initial=initial, ticket_fields=fields))

    form = forms.TicketForm(request.POST, request.FILES, ticket_fields=fields)
    findings = describe_findings(scan_text(form.scanned_text()))
    if "check" in request.POST:  # the no-JS "check for sensitive information" button
        return _new_ticket_page(request, form, findings=findings, checked=True)
    if not form.is_valid():
        return _new_ticket_page(request, form, status=422, findings=findings)
    try:
        posted = open_ticket(
            actor=user,
            requester=user,
            subject=form.cleaned_data["subject"],
            description=form.description(),
            channel=Channel.WEB,
            priority=form.cleaned_data["priority"],
            preferred_region=form.cleaned_data["preferred_region"],
            custom_fields=form.custom_fields(),
            files=_new_files(form),
            **form.form_fields(),
        )
    except SwitchboardError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _new_ticket_page(request, form, status=exc.status_code, findings=findings)
    messages.success(
        request,
        f"Ticket #{posted.ticket.pk} was created. We'll reply here and by email.",
    )
    _after_write_warnings(request, posted)
    return redirect("portal:ticket", ticket_id=posted.ticket.pk)


@login_required
@require_POST
def check_sensitive(request: HttpRequest) -> HttpResponse:
    """HTMX partial: the secret-scan and attachment warnings for the form as typed so far."""
    form = forms.TicketForm(request.POST)
    return render(
        request,
        "portal/_checks.html",
        {"findings": describe_findings(scan_text(form.scanned_text())), "checked": True},
    )


# --- registration ------------------------------------------------------------------------------


def _email(template: str, to: str, context: dict[str, Any]) -> None:
    """Queue an account email in the current transaction (sent by the worker within seconds).

    These carry one-time links, so the outbox wipes their bodies from the log once sent."""
    subject = render_to_string(f"portal/email/{template}_subject.txt", context).strip()
    body = render_to_string(f"portal/email/{template}.txt", context)
    queue_email(
        to=to,
        subject=subject,
        text=body,
        event=f"account.{template}",
        idempotency_key=f"portal:{template}:{uuid.uuid4().hex}",
        source="portal",
        sensitive=True,
    )


def _absolute(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Self-registration. The answer is the same whether or not the address is known (an email
    says which); the account works once the emailed link confirms the address."""
    if request.method == "GET":
        return render(request, "portal/register.html", {"form": forms.RegisterForm()})
    if not ratelimit.allowed(request, "register"):
        return render(
            request,
            "portal/register.html",
            {
                "form": forms.RegisterForm(request.POST),
                "rate_limited": True,
            },
            status=429,
        )
    form = forms.RegisterForm(request.POST)
    if not form.is_valid():
        return render(request, "portal/register.html", {"form": form}, status=422)
    email, name = form.cleaned_data["email"], form.cleaned_data["name"]
    organization = account_actions.organization_for_email(email)
    existing = User.objects.filter(email__iexact=email).first()
    context = {
        "name": name,
        "email": email,
        "organization": organization,
        "login_url": _absolute(request, "/login/"),
        "reset_url": _absolute(request, reverse("portal:password_reset")),
    }
    try:
        # The account and its confirmation email commit together, or neither does.
        with transaction.atomic():
            if existing is not None:
                _email("already_registered", email, context)
            else:
                user = account_actions.create_user(
                    actor=access.SYSTEM,
                    email=email,
                    name=name,
                    password=form.cleaned_data["password"],
                    is_active=False,
                )
                _send_confirmation(request, user, context)
    except SwitchboardError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return render(request, "portal/register.html", {"form": form}, status=422)
    return render(request, "portal/register_done.html", context)


def _send_confirmation(request: HttpRequest, user: User, context: dict[str, Any]) -> None:
    """Queue the "confirm your address" email with a fresh one-time link."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    context["confirm_url"] = _absolute(
        request, reverse("portal:register_confirm", kwargs={"uidb64": uid, "token": token})
    )
    _email("confirm_registration", user.email, context)


@require_POST
def resend_confirmation(request: HttpRequest) -> HttpResponse:
    """Send the confirmation link again. The answer is the same page whatever the address (known,
    unknown, already confirmed), so it can't be used to find accounts; limited per client address
    and per address asked for, so it can't flood a mailbox."""
    form = forms.ResendForm(request.POST)
    if not form.is_valid():
        return render(request, "portal/register_resend.html", {"form": form}, status=422)
    email = form.cleaned_data["email"]
    if not (
        ratelimit.allowed(request, "resend")
        and ratelimit.allowed_for("resend-to", email, per_window=3)
    ):
        return render(
            request, "portal/register_resend.html", {"form": form, "rate_limited": True}, status=429
        )
    user = awaiting_confirmation(email)
    if user is not None:
        context = {
            "name": user.name,
            "email": user.email,
            "organization": user.organization,
            "login_url": _absolute(request, "/login/"),
            "reset_url": _absolute(request, reverse("portal:password_reset")),
        }
        with transaction.atomic():
            _send_confirmation(request, user, context)
    return render(request, "portal/register_resend.html", {"sent": True, "email": email})


def register_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        pk = None
    user = User.objects.filter(pk=pk, role=Role.END_USER).first() if pk else None
    if user is None or not default_token_generator.check_token(user, token):
        return render(request, "portal/register_invalid.html", status=400)
    user = account_actions.confirm_registration(user=user)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, "Your email address is confirmed. Welcome!")
    return redirect("portal:home")


# --- password reset (Django's views, the portal's templates) ---------------------------------


class OutboxPasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, with the email queued through the outbox instead of sent inline: an
    SMTP outage cannot fail the request, and the link leaves the log once delivered."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        subject = " ".join(render_to_string(subject_template_name, context).split())
        queue_email(
            to=to_email,
            subject=subject,
            text=render_to_string(email_template_name, context),
            event="account.password_reset",
            idempotency_key=f"portal:password_reset:{uuid.uuid4().hex}",
            source="portal",
            sensitive=True,
        )


class PasswordResetView(auth_views.PasswordResetView):
    form_class = OutboxPasswordResetForm
    template_name = "portal/registration/password_reset_form.html"
    email_template_name = "portal/email/password_reset.txt"
    subject_template_name = "portal/email/password_reset_subject.txt"
    success_url = reverse_lazy("portal:password_reset_done")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not ratelimit.allowed(request, "password_reset"):
            return self.render_to_response(
                self.get_context_data(form=self.get_form(), rate_limited=True), status=429
            )
        return super().post(request, *args, **kwargs)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "portal/registration/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "portal/registration/password_reset_confirm.html"
    success_url = reverse_lazy("portal:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "portal/registration/password_reset_complete.html"


# --- the sold-to contact's support contacts ---------------------------------------------------


def _contacts_page(request: HttpRequest, *, form: Any = None, status: int = 200) -> HttpResponse:
    org = request.user.organization
    contacts = list(queries.support_contacts(org.pk))
    return render(
        request,
        "portal/contacts.html",
        {
            "organization": org,
            "domains": org.domain_names,
            "contacts": contacts,
            "form": form or forms.ContactForm(),
            "access_choices": PersonalAccess.choices,
        },
        status=status,
    )


def _is_sold_to(user: Any) -> bool:
    return bool(
        user.is_active
        and user.role == Role.END_USER
        and user.is_sold_to_contact
        and user.organization_id
    )


@login_required
@require_http_methods(["GET", "POST"])
def contacts(request: HttpRequest) -> HttpResponse:
    """List and add support contacts (the organization's sold-to contact only; others: 404)."""
    if not _is_sold_to(request.user):
        return not_found(request)
    if request.method == "GET":
        return _contacts_page(request)
    form = forms.ContactForm(request.POST)
    if not form.is_valid():
        return _contacts_page(request, form=form, status=422)
    try:
        contact = account_actions.add_support_contact(
            actor=request.user, email=form.cleaned_data["email"], name=form.cleaned_data["name"]
        )
    except SwitchboardError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _contacts_page(request, form=form, status=exc.status_code)
    messages.success(
        request,
        f"{contact.email} is now a support contact. They can set a password with "
        "“Forgot your password?” on the sign-in page.",
    )
    return redirect("portal:contacts")


def _contact(request: HttpRequest, user_id: int) -> User:
    contact = User.objects.filter(pk=user_id, is_active=True).first()
    if contact is None or contact.organization_id != request.user.organization_id:
        raise NotFound()
    return contact


@login_required
@require_POST
def contact_remove(request: HttpRequest, user_id: int) -> HttpResponse:
    if not _is_sold_to(request.user):
        return not_found(request)
    try:
        contact = _contact(request, user_id)
        account_actions.remove_support_contact(actor=request.user, contact=contact)
    except SwitchboardError as exc:
        return _error(request, exc)
    messages.success(request, f"{contact.email} was removed and can no longer sign in.")
    return redirect("portal:contacts")


@login_required
@require_POST
def contact_access(request: HttpRequest, user_id: int) -> HttpResponse:
    if not _is_sold_to(request.user):
        return not_found(request)
    form = forms.ContactAccessForm(request.POST)
    if not form.is_valid():
        return _error(
            request,
            ValidationFailed(
                "ticket_access: choose one of "
                + ", ".join(str(label) for _, label in PersonalAccess.choices)
                + "."
            ),
        )
    try:
        contact = _contact(request, user_id)
        account_actions.set_contact_access(
            actor=request.user, contact=contact, value=form.cleaned_data["ticket_access"]
        )
    except SwitchboardError as exc:
        return _error(request, exc)
    messages.success(request, f"Ticket access for {contact.email} was changed.")
    return redirect("portal:contacts")
