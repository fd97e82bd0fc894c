"""The candidate's pages: the invitation link, the questionnaire, and the recruiters' report. Plain HTML, no JS.

    GET  /a/{token}            the job and a start button (invited -> opened)
    POST /a/{token}/start      opened -> started, then 303 to the questions
    GET  /a/{token}/questions  the questionnaire (``?check=1``: with the last incomplete form's errors)
    POST /a/{token}/answers    complete: scored, started -> completed, 303 to the thank-you page;
                               incomplete: the values kept as a draft, 303 to the questions with their errors
    GET  /reports/{candidate_id}/{signature}   the scores (the partner API's ``report_profile_link``)

Every POST answers with a redirect to a GET page (Post/Redirect/Get), so Back and Reload never send a form again.
The unguessable token in the URL is the credential; POSTs are also refused when the browser says they come from
another site, and must carry the page's signed form token (see ``forms``). Pages are never cached, never framed
and send a Referer only to our own origin (the token never leaves in one). Bodies are bounded; every answer is
checked against the job's options. An expired link answers 410.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from hirebridge.assessments import forms, invitations
from hirebridge.assessments.models import Invitation, InvitationStatus
from hirebridge.assessments.questionnaire import DIMENSIONS, parse_answers, score
from hirebridge.assessments.results import deliver_results, report_signature
from hirebridge.orgs.models import Organization
from hirebridge.web import get_runtime

router = APIRouter(tags=["candidate pages"], include_in_schema=False)
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}
SCORE_LABELS = {"role_fit": "Role fit", "organizational_fit": "Organizational fit"}
MAX_DRAFT_VALUE = 3  # an option index as text; anything else is kept as "?" (not one of the options)

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def _page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = _templates.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def _message(status: int, heading: str, message: str) -> HTMLResponse:
    return _page("message.html", status, heading=heading, message=message)


def _refused(refusal: forms.Refusal) -> HTMLResponse:
    return _message(refusal.status, refusal.heading, refusal.message)


def _not_found() -> HTMLResponse:
    return _message(
        404, "Link not found", "This assessment link is not valid. Please check the link in your invitation."
    )


def _expired() -> HTMLResponse:
    return _message(
        410,
        "This invitation has expired",
        "The deadline for this assessment has passed, so it can no longer be taken. "
        "If you still want to be considered, please contact the recruiter who invited you.",
    )


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


def _human(value: datetime) -> str:
    return value.strftime("%d %B %Y, %H:%M UTC")


def _context(session: Session, invitation: Invitation, signing_key: str) -> dict[str, Any]:
    job = invitation.application.job
    organization = session.get_one(Organization, invitation.organization_id)
    base = f"/a/{invitation.token}"
    return {
        "job": job,
        "organization_name": organization.name,
        "first_name": invitation.application.candidate.first_name or "there",
        "questions": job.questionnaire,
        "start_url": f"{base}/start",
        "questions_url": f"{base}/questions",
        "submit_url": f"{base}/answers",
        "form_token_field": forms.FORM_TOKEN_FIELD,
        "form_token": forms.form_token(signing_key, invitation.id),
    }


def _load(session: Session, token: str) -> Invitation | HTMLResponse:
    """The invitation of a usable link, or the page to answer instead (not found, expired)."""
    invitation = invitations.by_token(session, token)
    if invitation is None:
        return _not_found()
    if invitations.expire_if_due(session, invitation):
        return _expired()
    return invitation


def _draft(questions: list[dict[str, Any]], form: dict[str, str]) -> dict[str, str]:
    """The values worth keeping from an incomplete form: one bounded value per question of this job."""
    draft = {}
    for question in questions:
        value = form.get(question["id"], "")
        if value:
            plausible = value.isascii() and value.isdigit() and len(value) <= MAX_DRAFT_VALUE
            draft[question["id"]] = value if plausible else "?"
    return draft


@router.get("/a/{token}")
def invitation_page(request: Request, token: str) -> Response:
    runtime = get_runtime(request)
    with runtime.transaction() as session:
        loaded = _load(session, token)
        if isinstance(loaded, Response):
            return loaded
        context = _context(session, loaded, runtime.signing_key)
        if loaded.status == InvitationStatus.COMPLETED:
            return _page("done.html", **context)
        invitations.mark_opened(session, loaded)
        questions = context["questions"]
        return _page(
            "welcome.html",
            **context,
            started=loaded.status == InvitationStatus.STARTED,
            question_count=len(questions),
            minutes=max(1, round(len(questions) * 0.5)),
            expires_iso=loaded.expires_at.isoformat(),
            expires_human=_human(loaded.expires_at),
        )


@router.post("/a/{token}/start")
async def start(request: Request, token: str) -> Response:
    runtime = get_runtime(request)
    form = await forms.read_form(request, runtime.public_url)
    if isinstance(form, forms.Refusal):
        return _refused(form)

    def work() -> Response:  # in a worker thread: no database work on the event loop
        with runtime.transaction() as session:
            loaded = _load(session, token)
            if isinstance(loaded, Response):
                return loaded
            if not forms.has_valid_token(form, runtime.signing_key, loaded.id):
                return _refused(forms.STALE)
            if loaded.status == InvitationStatus.COMPLETED:
                return _redirect(f"/a/{token}")
            invitations.mark_started(session, loaded)
        return _redirect(f"/a/{token}/questions")

    return await run_in_threadpool(work)


@router.get("/a/{token}/questions")
def questions_page(request: Request, token: str, check: str = "") -> Response:
    runtime = get_runtime(request)
    with runtime.transaction() as session:
        loaded = _load(session, token)
        if isinstance(loaded, Response):
            return loaded
        if loaded.status != InvitationStatus.STARTED:
            return _redirect(f"/a/{token}")
        context = _context(session, loaded, runtime.signing_key)
        selected, errors = parse_answers(context["questions"], invitations.draft_of(loaded))
        if check != "1":
            errors = {}
        problems = [
            (index, errors[question["id"]])
            for index, question in enumerate(context["questions"], start=1)
            if question["id"] in errors
        ]
        return _page("questions.html", **context, errors=errors, problems=problems, selected=selected)


@router.post("/a/{token}/answers")
async def submit_answers(request: Request, token: str) -> Response:
    runtime = get_runtime(request)
    form = await forms.read_form(request, runtime.public_url)
    if isinstance(form, forms.Refusal):
        return _refused(form)

    def work() -> Response:  # in a worker thread: no database work on the event loop
        with runtime.transaction() as session:
            loaded = _load(session, token)
            if isinstance(loaded, Response):
                return loaded
            if not forms.has_valid_token(form, runtime.signing_key, loaded.id):
                return _refused(forms.STALE)
            if loaded.status != InvitationStatus.STARTED:
                return _redirect(f"/a/{token}")
            questions = loaded.application.job.questionnaire
            answers, errors = parse_answers(questions, form)
            if errors:
                invitations.save_draft(session, loaded, _draft(questions, form))
                return _redirect(f"/a/{token}/questions?check=1")
            if invitations.mark_completed(session, loaded, answers, score(questions, answers)):
                deliver_results(session, runtime, loaded)
        return _redirect(f"/a/{token}")

    return await run_in_threadpool(work)


@router.get("/reports/{candidate_id}/{signature}")
def report_page(request: Request, candidate_id: str, signature: str) -> Response:
    runtime = get_runtime(request)
    expected = report_signature(runtime.signing_key, candidate_id).encode()
    # Bytes, not str: compare_digest raises TypeError for a str with non-ASCII characters.
    if len(signature) > 64 or not hmac.compare_digest(signature.encode("utf-8", "replace"), expected):
        return _message(404, "Report not found", "This report link is not valid.")
    with runtime.transaction() as session:
        invitation = session.get(Invitation, candidate_id)
        if invitation is None or invitation.status != InvitationStatus.COMPLETED or invitation.completed_at is None:
            return _message(404, "Report not found", "There is no completed assessment for this link.")
        context = _context(session, invitation, runtime.signing_key)
        candidate = invitation.application.candidate
        order = {d: i for i, d in enumerate(DIMENSIONS)}
        return _page(
            "report.html",
            **context,
            candidate_name=candidate.name or "Candidate",
            completed_iso=invitation.completed_at.isoformat(),
            completed_human=_human(invitation.completed_at),
            scores=sorted(invitation.scores, key=lambda s: order.get(str(s.get("score_type")), 99)),
            labels=SCORE_LABELS,
        )
