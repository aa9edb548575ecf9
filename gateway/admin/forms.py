"""Forms of the admin UI (Flask-WTF: every form carries a CSRF token, every field a label)."""

from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
    widgets,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from gateway.models import CoordinatorRole, Exchange, InstitutionKind, ReviewOutcome
from gateway.services.network.clients import ASYMMETRIC_ALGS, SCOPES

KIND_LABELS = {
    InstitutionKind.UNIVERSITY: _l("University"),
    InstitutionKind.MIDDLE_SCHOOL: _l("Middle school"),
    InstitutionKind.PRIMARY_SCHOOL: _l("Primary school"),
    InstitutionKind.COMMUNITY_CENTRE: _l("Community centre"),
    InstitutionKind.HOSPITAL: _l("Hospital"),
    InstitutionKind.COUNSELLING_AGENCY: _l("Counselling agency"),
}
EXCHANGE_LABELS = {
    Exchange.REFERRAL: _l("Referral"),
    Exchange.SUPERVISION: _l("Supervision"),
    Exchange.TRAINING_RESOURCES: _l("Training resources"),
}

#: what each scope lets a connected system do, in plain words (the code is shown beside)
SCOPE_LABELS = {
    "referrals:read": _l("read its referrals"),
    "referrals:write": _l("send and answer referrals"),
    "referrals:emergency": _l("emergency access (break-glass, green channel only)"),
    "consents:read": _l("read consents"),
    "consents:write": _l("record and withdraw consents"),
    "cases:read": _l("read its cases"),
    "cases:write": _l("keep its cases"),
    "bookings:read": _l("see supervision slots and bookings"),
    "bookings:write": _l("book supervision"),
    "resources:read": _l("read training resources"),
    "resources:write": _l("publish training resources"),
    "reports:read": _l("read the region's statistics"),
    "network:admin": _l("manage the network"),
    "audit:read": _l("read the audit log's proofs"),
    "audit:witness": _l("co-sign the audit log (witness)"),
}
ROLE_LABELS = {
    CoordinatorRole.COORDINATOR: _l("Coordinator of one region"),
    CoordinatorRole.ADMIN: _l("Admin of every region"),
}

OUTCOME_LABELS = {
    ReviewOutcome.JUSTIFIED: _l("Justified"),
    ReviewOutcome.UNJUSTIFIED: _l("Unjustified"),
}


class CheckboxesField(SelectMultipleField):
    """Several checkboxes, each with its own label."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class InstitutionForm(FlaskForm):
    """Create or edit an institution."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k.value, label)
                                            for k, label in KIND_LABELS.items()])
    region = StringField(_l("Region"), validators=[DataRequired(), Length(max=64)])
    country = StringField(_l("Country (ISO code)"), default="CN",
                          validators=[DataRequired(), Regexp(r"^[A-Za-z]{2}$")])
    student_count = IntegerField(_l("Students (for the staff ratio; optional)"),
                                 validators=[Optional(), NumberRange(0, 10_000_000)])
    counsellor_count = IntegerField(_l("Full-time counsellors (optional)"),
                                    validators=[Optional(), NumberRange(0, 100_000)])


class PartnershipForm(FlaskForm):
    """Propose a partnership between two institutions."""

    first = SelectField(_l("First institution"), validators=[DataRequired()])
    second = SelectField(_l("Second institution"), validators=[DataRequired()])
    exchanges = CheckboxesField(_l("Exchanges"), validators=[DataRequired()],
                                choices=[SelectChoice(e.value, label)
                                         for e, label in EXCHANGE_LABELS.items()])
    valid_from = DateField(_l("Valid from"), validators=[DataRequired()])
    valid_until = DateField(_l("Valid until"), validators=[DataRequired()])


def _jwks(_form, field) -> None:
    if not field.data:
        return
    try:
        document = json.loads(field.data)
    except ValueError as exc:
        raise ValidationError(_l("Not valid JSON.")) from exc
    if not isinstance(document, dict):
        raise ValidationError(_l("A JWK Set is a JSON object with a \"keys\" list."))


class ClientForm(FlaskForm):
    """Register an institution's OAuth client."""

    institution = SelectField(_l("Institution"), validators=[DataRequired()])
    name = StringField(_l("Client name"), validators=[DataRequired(), Length(max=200)])
    auth_method = RadioField(_l("Authentication"), default="private_key_jwt", choices=[
        SelectChoice("private_key_jwt", _l("private_key_jwt (public keys, recommended)")),
        SelectChoice("client_secret_basic", _l("client_secret_basic (a secret, for development)")),
    ])
    scopes = CheckboxesField(_l("Scopes"), validators=[DataRequired()],
                             choices=[SelectChoice(s, SCOPE_LABELS[s])
                                      for s in SCOPES if s != "network:admin"])
    algs = CheckboxesField(_l("Signing algorithms"), default=["ES256"],
                           choices=[SelectChoice(a, a) for a in ASYMMETRIC_ALGS])
    jwks = TextAreaField(_l("Public JWK Set (JSON)"), validators=[Optional(), _jwks],
                         render_kw={"rows": 8, "spellcheck": "false"})
    jwks_uri = StringField(_l("Or the URL of its public JWK Set (https)"),
                           validators=[Optional(), Length(max=2048)])


class KeysForm(FlaskForm):
    """Replace a client's public keys."""

    jwks = TextAreaField(_l("New public JWK Set (JSON)"), validators=[Optional(), _jwks],
                         render_kw={"rows": 10, "spellcheck": "false"})
    jwks_uri = StringField(_l("Or the URL of its public JWK Set (https)"),
                           validators=[Optional(), Length(max=2048)])


class AuditFilterForm(FlaskForm):
    """Filters of the audit viewer (a GET form: no CSRF needed)."""

    class Meta:
        csrf = False

    institution = StringField(_l("Institution (name or id)"),
                              validators=[Optional(), Length(max=200)])
    actor = StringField(_l("Who (coordinator e-mail or audit label)"),
                        validators=[Optional(), Length(max=254)])
    action = StringField(_l("Action (prefix)"), validators=[Optional(), Length(max=64)])
    object_type = StringField(_l("Object type"), validators=[Optional(), Length(max=32)])
    object_id = StringField(_l("Object id"), validators=[Optional(), Length(max=64)])
    since = DateField(_l("From (date)"), validators=[Optional()])
    until = DateField(_l("Until (date, inclusive)"), validators=[Optional()])


class AccessReportForm(FlaskForm):
    """Which student's access report (a GET form: no CSRF needed)."""

    class Meta:
        csrf = False

    institution = StringField(_l("Institution id"), validators=[DataRequired(), Length(max=36)])
    subject_ref = StringField(_l("Student reference"), validators=[
        DataRequired(), Length(max=64), Regexp(r"^[A-Za-z0-9._:-]+$")])


class ProofForm(FlaskForm):
    """Which leaf, against which published tree size (a GET form: no CSRF needed)."""

    class Meta:
        csrf = False

    index = IntegerField(_l("Leaf index"), validators=[InputRequired(), NumberRange(0, 2**62)])
    tree_size = IntegerField(_l("Tree size"), validators=[Optional(), NumberRange(1, 2**62)],
                             description=_l("Empty: the latest checkpoint."))


class ConsistencyForm(FlaskForm):
    """Two published tree sizes (a GET form: no CSRF needed)."""

    class Meta:
        csrf = False

    first = IntegerField(_l("Earlier tree size"), validators=[InputRequired(),
                                                              NumberRange(0, 2**62)])
    second = IntegerField(_l("Later tree size"), validators=[InputRequired(),
                                                             NumberRange(0, 2**62)])


class ReviewForm(FlaskForm):
    """A coordinator's review of a break-glass release."""

    outcome = RadioField(_l("Outcome"), validators=[InputRequired()], choices=[
        SelectChoice(o.value, label) for o, label in OUTCOME_LABELS.items()])
    note = TextAreaField(_l("Review note"), validators=[DataRequired(), Length(max=2000)],
                         render_kw={"rows": 4, "class": "prose"})


class AlertContactForm(FlaskForm):
    """Add an e-mail address that receives a region's or an institution's alerts."""

    addressee = SelectField(_l("Whose alerts"), validators=[DataRequired()])
    email = StringField(_l("E-mail address"), validators=[
        DataRequired(), Length(max=254),
        Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
               message=_l("Give an e-mail address such as duty@example.edu.cn."))])
class ScopesForm(FlaskForm):
    """Change what a connected system may do."""

    scopes = CheckboxesField(_l("Scopes"), validators=[DataRequired()],
                             choices=[SelectChoice(s, SCOPE_LABELS[s])
                                      for s in SCOPES if s != "network:admin"])


class SlaForm(FlaskForm):
    """A recipient's green-channel promise and its on-call contact."""

    receipt_minutes = IntegerField(_l("Minutes until receipt"),
                                   validators=[InputRequired(), NumberRange(1, 24 * 60)])
    decision_minutes = IntegerField(_l("Minutes until decision"),
                                    validators=[InputRequired(), NumberRange(1, 7 * 24 * 60)])
    on_call_contact = StringField(_l("On-call contact (name and phone)"),
                                  validators=[Optional(), Length(max=200)])

    def validate_decision_minutes(self, field) -> None:
        """A decision cannot be due before the receipt."""
        if self.receipt_minutes.data and field.data and field.data < self.receipt_minutes.data:
            raise ValidationError(_l("The decision cannot be due before the receipt."))


class EndpointForm(FlaskForm):
    """Where the gateway pushes an institution's messages."""

    format = SelectField(_l("Format"))  # choices: the adapters, set by the view
    url = StringField(_l("Address (https URL)"), validators=[DataRequired(), Length(max=500)])


class CoordinatorForm(FlaskForm):
    """Add a coordinator (password and authenticator secret are generated)."""

    email = StringField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    role = RadioField(_l("Role"), default=CoordinatorRole.COORDINATOR.value, choices=[
        SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()])
    region = StringField(_l("Region (needed for a coordinator)"),
                         validators=[Optional(), Length(max=64)])


class RoleForm(FlaskForm):
    """Change a coordinator's role and region."""

    role = RadioField(_l("Role"), choices=[
        SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()])
    region = StringField(_l("Region (needed for a coordinator)"),
                         validators=[Optional(), Length(max=64)])
