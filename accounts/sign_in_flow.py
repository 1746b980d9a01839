"""What the portal remembers about each sign-in it starts, in the browser's session.

mozilla-django-oidc keeps the state and nonce; this keeps, per state, what we asked NHS login
for (the returned ``vot`` must be one of the vectors), how (``prompt``), why (a step-up, the NHS
App's jump-off) and where the patient goes afterwards. Each flow is used once: the callback
takes it, and a spent state is remembered only to send a patient who comes back to it (the
browser's Back button, a replay) to the page that sign-in led to.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

SESSION_KEY = "nhs_login_flows"
COMPLETED_SESSION_KEY = "nhs_login_flows_completed"


def max_pending_flows() -> int:
    """How many sign-ins one session may have started and not finished: several tabs may start
    one, and the oldest are dropped beyond it, so that a session (whatever address it comes
    from) holds a bounded amount in the session store (``NHS_LOGIN_MAX_PENDING_FLOWS``)."""
    return max(1, int(settings.NHS_LOGIN_MAX_PENDING_FLOWS))


# Federation specification 3.4.1, prompt: "" signs the patient in with NHS login's own session
# if it has one and asks them to sign in otherwise; "none" never shows a page (an error instead);
# "login" always asks them to sign in.
PROMPT_INTERACTIVE = ""
PROMPT_NONE = "none"
PROMPT_LOGIN = "login"

# Federation specification 3.4.5.2, table 5: what NHS login answers a prompt=none request it
# cannot complete without showing the patient a page. Asking again interactively resolves each.
INTERACTION_ERRORS = frozenset(
    {
        "sso_login_required",
        "login_required",
        "interaction_required",
        "consent_required",
        "account_selection_required",
    }
)

# An RS512 assertion signed with a 2048- or 4096-bit key is well under 2,000 characters; the
# bound keeps the authorization request's URL within what browsers and proxies carry.
ASSERTED_LOGIN_IDENTITY_MAX_LENGTH = 4096
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class SignInFlow:
    """One sign-in the portal started: what it asked NHS login for, and where it came from.

    ``prompt`` is the value sent with this request (``PROMPT_*``): the NHS login button sends
    "", the automatic sign-in at the end of a session "login", the NHS App's jump-off "none".
    ``from_nhs_app`` is true when the patient arrived through the NHS App's jump-off, which
    changes the no-consent screen NHS login asks us to show. ``next_url`` is the portal page
    the patient goes to once signed in (a same-site path, checked when the flow starts).
    """

    vtr: tuple[str, ...]
    step_up: bool
    started_at: float
    prompt: str = PROMPT_INTERACTIVE
    from_nhs_app: bool = False
    next_url: str = ""

    @property
    def expired(self) -> bool:
        """Whether this flow's state has been waiting too long to be used.

        Not a limit on how long a patient may spend at NHS login: proving who they are can
        take far longer than any sign-in page. NHS login's own code lives 10 minutes from its
        issue (Federation specification 3.4.5.1), and the state and nonce are good for one
        answer, so ``NHS_LOGIN_FLOW_MAX_AGE_SECONDS`` only bounds how long an unused state is
        kept (a session's 12 hours by default).
        """
        max_age: int = settings.NHS_LOGIN_FLOW_MAX_AGE_SECONDS
        return time.time() - self.started_at > max_age

    @property
    def may_retry_interactively(self) -> bool:
        """A prompt=none flow NHS login could not complete silently is asked again once with
        prompt "" (single sign-on's fallback); the retry is interactive, so it never loops."""
        return self.prompt == PROMPT_NONE


def sign_in_flow_remember(session: SessionBase, *, state: str, flow: SignInFlow) -> None:
    flows = dict(session.get(SESSION_KEY, {}))
    flows[state] = {**asdict(flow), "vtr": list(flow.vtr)}
    newest = sorted(flows.items(), key=lambda item: item[1]["started_at"])[-max_pending_flows() :]
    session[SESSION_KEY] = dict(newest)


def sign_in_flow_take(session: SessionBase, *, state: str) -> SignInFlow | None:
    """The flow started with this state, removed so that it can be used once only."""
    flows = dict(session.get(SESSION_KEY, {}))
    stored = flows.pop(state, None)
    session[SESSION_KEY] = flows
    if stored is None:
        return None
    return SignInFlow(
        vtr=tuple(stored["vtr"]),
        step_up=stored["step_up"],
        started_at=stored["started_at"],
        prompt=stored.get("prompt", PROMPT_INTERACTIVE),
        from_nhs_app=stored.get("from_nhs_app", False),
        next_url=stored.get("next_url", ""),
    )


def sign_in_flow_completed(session: SessionBase, *, state: str, flow: SignInFlow) -> None:
    """Remember, in the signed-in session, that this state signed the patient in and where to.

    Called after the sign-in, so in the session it made. Only the newest few are kept: a state
    is a random value already spent, worth nothing to anyone else.
    """
    completed = dict(session.get(COMPLETED_SESSION_KEY, {}))
    completed[state] = flow.next_url
    session[COMPLETED_SESSION_KEY] = dict(list(completed.items())[-max_pending_flows() :])


def sign_in_flow_completed_next(session: SessionBase, *, state: str) -> str:
    """Where the sign-in that spent this state led ("" if this session does not know it)."""
    next_url = session.get(COMPLETED_SESSION_KEY, {}).get(state, "")
    return next_url if isinstance(next_url, str) else ""


def sign_in_next_safe(request: HttpRequest, candidate: str | None) -> str:
    """``candidate`` if it is a path on this portal, otherwise "": never an open redirect.

    Only paths ("/home/"), never absolute or scheme-relative addresses, are accepted.
    """
    if (
        candidate
        and candidate.startswith("/")
        and not candidate.startswith("//")
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return ""


def sign_in_next_or_home(request: HttpRequest, candidate: str | None) -> str:
    """``candidate`` if it is a path on this portal (``sign_in_next_safe``), otherwise the
    patient's home page: where a page sends a patient on when it was given no safe place."""
    return sign_in_next_safe(request, candidate) or reverse("accounts:home")


def asserted_login_identity_accept(candidate: str) -> str:
    """The NHS App's ``asserted_login_identity`` if it is shaped as a compact JWS of bounded
    length, else "" (NHS login's "Single sign-on (SSO)"; Federation specification 3.4.1).

    NHS login validates everything else (signature, issuer, code, one use, 60-second life), so
    the portal passes the value on unchanged; this only stops arbitrary text reaching NHS login.
    The value is a one-time credential: it is never logged and never stored.
    """
    if len(candidate) <= ASSERTED_LOGIN_IDENTITY_MAX_LENGTH and _COMPACT_JWS.fullmatch(candidate):
        return candidate
    return ""


def p9_vectors() -> tuple[str, ...]:
    """The configured vectors that prove identity to P9: what a step-up asks for."""
    configured = tuple(vector for vector in settings.NHS_LOGIN_VTR if vector.startswith("P9."))
    return configured or ("P9.Cp.Cd", "P9.Cp.Ck", "P9.Cm")


def vtr_sets_sent() -> tuple[tuple[str, ...], ...]:
    """Every ``vtr`` list the portal sends NHS login: the sign-in list and the step-up list.

    NHS login refuses an authorization request whose ``vtr`` is not one registered for the
    client (NHS login's "Testing scenarios", "Vector of Trust check"), so each of these must be
    on the registration form (docs/operations.md) and registered with the simulator.
    """
    sets = (tuple(settings.NHS_LOGIN_VTR), p9_vectors())
    return tuple(dict.fromkeys(sets))
