"""What the portal remembers about each sign-in it starts, in the browser's session.

mozilla-django-oidc keeps the state and nonce; this keeps, per state, the vectors of trust we
asked for (the returned ``vot`` must be one of them) and whether the flow is a step-up.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase

SESSION_KEY = "nhs_login_flows"
MAX_FLOWS = 10  # several tabs may start a sign-in; old ones are dropped


@dataclass(frozen=True)
class SignInFlow:
    """One sign-in the portal started: what it asked NHS login for, and where it came from.

    ``prompt`` is the value sent with this request ("" for single sign-on when NHS login has a
    session, "none" or "login"); ``from_nhs_app`` is true when the patient arrived through the
    NHS App's jump-off, which changes the no-consent screen NHS login asks us to show.
    """

    vtr: tuple[str, ...]
    step_up: bool
    started_at: float
    prompt: str = ""
    from_nhs_app: bool = False

    @property
    def expired(self) -> bool:
        max_age: int = settings.NHS_LOGIN_FLOW_MAX_AGE_SECONDS
        return time.time() - self.started_at > max_age


def sign_in_flow_remember(session: SessionBase, *, state: str, flow: SignInFlow) -> None:
    flows = dict(session.get(SESSION_KEY, {}))
    flows[state] = {**asdict(flow), "vtr": list(flow.vtr)}
    newest = sorted(flows.items(), key=lambda item: item[1]["started_at"])[-MAX_FLOWS:]
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
        prompt=stored.get("prompt", ""),
        from_nhs_app=stored.get("from_nhs_app", False),
    )


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
