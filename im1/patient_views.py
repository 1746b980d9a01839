"""The patient's own view of the apps paired with their GP record: listed on their linkage
details page (linkage/page_sections.py), and disconnected by the patient themselves, P9 only
(docs/im1-api.md, "The patient and the staff"; docs/adr/0025).

Whose connections these are comes from the NHS number and GP practice NHS login gave at
sign-in, never from the URL; the connection's id in the URL only picks one of theirs.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.decorators import identity_verified_required, signed_in_patient
from accounts.presenters import date_display, time_display
from core.request_id import request_id_of
from im1.errors import ConnectionNotValidError
from im1.models import Connection
from im1.services import (
    ConnectionSummary,
    im1_connection_end,
    im1_connection_of,
    im1_connections_of,
)
from linkage.audit import Actor, ActorType
from linkage.models import RegisteredPatient

# Kept with the connection and shown to staff: why it ended.
DISCONNECTED_BY_THE_PATIENT = "Disconnected by the patient"
# The session's note of the app just disconnected, for the page the patient goes back to.
JUST_DISCONNECTED = "im1_just_disconnected"


@dataclass(frozen=True)
class ConnectedApp:
    """One app as the patient's page lists it."""

    name: str
    connected_on: str
    last_used: str
    disconnect_url: str


def _registered_patient(*, nhs_number: str, ods_code: str) -> RegisteredPatient | None:
    return (
        RegisteredPatient.objects.select_related("practice")
        .filter(nhs_number=nhs_number, practice__ods_code=ods_code)
        .first()
    )


def _connected_app(summary: ConnectionSummary) -> ConnectedApp:
    now = timezone.localtime()
    last_used = summary.last_used_at
    return ConnectedApp(
        name=summary.partner_name,
        connected_on=date_display(timezone.localtime(summary.connected_at).date()),
        last_used=time_display(timezone.localtime(last_used), now=now) if last_used else "Not yet",
        disconnect_url=reverse("im1:disconnect", args=[summary.connection_id]),
    )


def connected_apps_section(request: HttpRequest, *, nhs_number: str, ods_code: str) -> SafeString:
    """The section of the linkage details page that lists the patient's connected apps, each
    with a link to disconnect it; nothing for someone not on the register."""
    patient = _registered_patient(nhs_number=nhs_number, ods_code=ods_code)
    if patient is None:
        return SafeString()
    summaries = im1_connections_of(patient=patient)
    context = {
        "apps": [_connected_app(summary) for summary in summaries if summary.active],
        "just_disconnected": request.session.pop(JUST_DISCONNECTED, ""),
    }
    # The template escapes what it shows (Django's Jinja2 backend autoescapes); its output is
    # the page's HTML, to be placed as it is.
    return mark_safe(  # noqa: S308
        render_to_string("im1/connected_apps_section.jinja", context, request=request)
    )


def _own_connection(request: HttpRequest, connection_id: int) -> Connection:
    """The signed-in patient's connection with this id, still connected; a 404 for anyone
    else's, an unknown one or one that has ended."""
    patient = signed_in_patient(request)
    registered = _registered_patient(nhs_number=patient.nhs_number, ods_code=patient.gp_ods_code)
    if registered is None or not patient.nhs_number:
        raise Http404
    try:
        connection = im1_connection_of(patient=registered, connection_id=connection_id)
    except ConnectionNotValidError as error:
        raise Http404 from error
    if not Connection.objects.valid().filter(pk=connection.pk).exists():
        raise Http404
    return connection


@require_http_methods(["GET", "POST"])
@never_cache
@identity_verified_required
def connected_app_disconnect(request: HttpRequest, connection_id: int) -> HttpResponse:
    """The patient disconnects an app from their GP record. GET asks first (and is what a
    refreshed or shared address shows); the POST, with its CSRF token, ends the connection,
    audited with the patient as the actor, and goes back to the details page, which says so.
    A second POST for an app already disconnected (a double click) goes back the same way."""
    details = reverse("linkage:details") + "#connected-apps"
    try:
        connection = _own_connection(request, connection_id)
    except Http404:
        if request.method == "POST":
            return HttpResponseRedirect(details)
        raise
    partner_name = connection.partner.name
    if request.method != "POST":
        return render(request, "im1/disconnect_confirm.jinja", {"partner_name": partner_name})
    patient = signed_in_patient(request)
    actor = Actor(ActorType.PATIENT, patient.nhs_login_sub, request_id_of(request))
    try:
        im1_connection_end(actor=actor, connection=connection, reason=DISCONNECTED_BY_THE_PATIENT)
    except ConnectionNotValidError:
        pass  # ended between the look and the write: what the patient asked for
    else:
        request.session[JUST_DISCONNECTED] = partner_name
    return HttpResponseRedirect(details)
