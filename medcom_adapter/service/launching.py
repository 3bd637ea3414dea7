"""Checking a launch against what its form will need, before a worker ever sees the form.

A launch the form cannot serve (no unit address, so every referral to a department taking
XBIN02 fails the schema) must be refused to the case system that made it, naming the
fields, and not discovered by a psychologist who can do nothing about it. The rules that
are known are checked by name; then a letter is built for each receiver the form offers
(with placeholder text, never queued), so whatever else the schemas demand is caught here
too.
"""

from __future__ import annotations

from datetime import datetime

from medcom_adapter.addressing.directory import Directory, Receiver
from medcom_adapter.service import forms
from medcom_adapter.service.context import Kind, LaunchContext

_TRIAL_PDF = b"%PDF-1.4\n%%EOF\n"
# Sender elements of MedCom's letters -> the launch field that fills them.
_FIELD_OF_ELEMENT = {
    "OrganisationName": "unit.name", "StreetName": "unit.address.street",
    "PostCodeIdentifier": "unit.address.postcode", "DistrictName": "unit.address.district",
    "MedicalSpecialityCode": "unit.speciality", "PersonName": "worker.name",
}


def launch_problems(directory: Directory, ctx: LaunchContext, *,
                    now: datetime) -> dict[str, str]:
    """Launch field -> what is wrong with it (empty when the form can send what it offers)."""
    problems: dict[str, str] = {}
    if not ctx.unit_name:
        problems["unit.name"] = "required: the sender's organisation name is in every letter"
    if ctx.kind is Kind.REFERRAL:
        for name, value in (("unit.address.street", ctx.unit_street),
                            ("unit.address.postcode", ctx.unit_postcode),
                            ("unit.address.district", ctx.unit_district),
                            ("unit.speciality", ctx.unit_speciality)):
            if not value:
                problems[name] = ("required for referrals: the referral's attachment "
                                  "letter (XBIN02) carries the sender's address and speciality")
        if not forms.referral_receivers(directory):
            problems["kind"] = "no BUP department is reachable for referrals (no DNHF route)"
    elif not forms.km_receivers(directory, ctx.unit_ean):
        problems["kind"] = "no receiver in the directory takes correspondence"
    gp = forms.find(directory, ctx.gp_sor) if ctx.gp_sor else None
    if ctx.gp_sor and (gp is None or gp not in forms.km_receivers(directory, ctx.unit_ean)):
        problems["patient.gp_sor"] = "not a receiver of correspondence in the directory"
    if problems:
        return problems
    for receiver in _offered(directory, ctx, gp):
        try:
            _trial(directory, ctx, receiver, now)
        except forms.FieldErrors as exc:
            text = exc.technical or " ".join(exc.errors.values())
            field = next((f for e, f in _FIELD_OF_ELEMENT.items() if f"'{e}'" in text),
                         f"receiver {receiver.sor}")
            problems.setdefault(field, f"a letter to {receiver.label} cannot be built from "
                                       f"this launch: {text}")
    return problems


def _offered(directory: Directory, ctx: LaunchContext,
             gp: Receiver | None) -> list[Receiver]:
    """The receivers to try: every BUP department; for KM the GP and one of each syntax."""
    if ctx.kind is Kind.REFERRAL:
        return [r for _, r in forms.referral_receivers(directory)]
    receivers = forms.km_receivers(directory, ctx.unit_ean)
    picks = [gp] if gp else []
    for fhir in (True, False):
        picks += [r for r in receivers if forms.takes_fhir(r) is fhir][:1]
    return list({r.sor: r for r in picks}.values())


def _trial(directory: Directory, ctx: LaunchContext, receiver: Receiver,
           now: datetime) -> None:
    if ctx.kind is Kind.REFERRAL:
        forms.referral(directory, ctx, forms.ReferralFields(
            receiver_sor=receiver.sor, reason="-", classes=(forms.REFERRAL_CLASS,),
            form=forms.Upload("Skema", "application/pdf", _TRIAL_PDF)), now=now)
    else:
        forms.km(directory, ctx, forms.KmFields(
            receiver_sor=receiver.sor, text="-", topic="-", category="other"), now=now)
