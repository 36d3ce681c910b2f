"""Forms for the pages: the account form (a Django form, Django's password validators).

The adapter that draws a catalogue form section lives in ``zimao.portal.forms`` (service apps use
it too); its names are re-exported here for code written before the move.
"""

from __future__ import annotations

from django import forms as djforms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from zimao.catalog import forms as engine
from zimao.core.identifiers import ID_DOCUMENT_TYPES, ID_RESIDENT, id_document_label
from zimao.portal.forms import (  # noqa: F401
    AUTOCOMPLETE,
    INPUT_MODES,
    RADIO_LIMIT,
    bound_fields,
    choice_label,
    choice_value,
    draft_values,
    empty_value,
    grouped_summary,
    plain_field,
    read_post,
    summary_data,
    widget_for,
)
from zimao.portal.present import is_en

# ---------------------------------------------------------------- accounts


def id_document_choices() -> list[tuple[str, str]]:
    """The identity document types in the reader's language (resident identity card first)."""
    return [(code, id_document_label(code, "en" if is_en() else "zh")) for code in ID_DOCUMENT_TYPES]


def id_document_name(code: str) -> str:
    """A document type's name in the reader's language; "" when none is on file."""
    return id_document_label(code, "en" if is_en() else "zh") if code else ""


class RegisterForm(UserCreationForm):
    """A new applicant's account: username, name, identity document — its type (resident identity
    card by default; Hong Kong, Macao, Taiwan and foreign applicants choose theirs) and number (one
    account per document; optional for the resident card, as before, required for any other type),
    an optional phone, the password twice."""

    field_order = ("username", "first_name", "password1", "password2", "id_type", "id_number", "phone")

    first_name = djforms.CharField(label=_("Your name"), max_length=150, help_text=_("As on your identity document."))
    id_type = djforms.ChoiceField(
        label=_("Identity document type"),
        choices=id_document_choices,
        initial=ID_RESIDENT,
        required=False,  # a client that does not send it means the resident identity card, as before
        help_text=_(
            "Hong Kong, Macao, Taiwan and foreign applicants: choose the document you will show at the service window."
        ),
    )
    id_number = djforms.CharField(
        label=_("Your identity document number"),
        max_length=24,
        required=False,
        help_text=_(
            "The number on the document chosen above; for a resident identity card, 18 characters, and you may "
            "leave it empty if you hold no document yet. One account per identity document: the service "
            "window finds your account by it. It is stored encrypted and shown masked."
        ),
    )
    phone = djforms.CharField(
        label=_("Mobile phone (optional)"),
        max_length=20,
        required=False,
        help_text=_("We use it only to tell you about your applications."),
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "first_name")
        labels = {"username": _("Username")}
        help_texts = {"username": _("Letters, digits and @/./+/-/_ only; 150 characters or fewer.")}

    def clean_first_name(self):
        name = self.cleaned_data["first_name"].strip()
        if not name:
            raise djforms.ValidationError(_("Enter your name"), code="required")
        return name

    def clean_id_type(self):
        return self.cleaned_data.get("id_type") or ID_RESIDENT

    def clean(self):
        from zimao.core.identifiers import validate_id_document
        from zimao.web.present import problem_message

        data = super().clean()
        if "id_type" in self.errors:
            return data  # the number is checked against the type it belongs to
        id_type = data.get("id_type") or ID_RESIDENT
        if not (data.get("id_number") or "").strip() and id_type == ID_RESIDENT:
            data["id_number"] = ""  # no document yet: the account is found by its phone at the window
            return data
        result = validate_id_document(id_type, data.get("id_number"), field_name="id_number")
        if result.problems:
            problem = result.problems[0]
            self.add_error("id_number", djforms.ValidationError(problem_message(problem), code=problem.code))
        else:
            data["id_number"] = result.value
        return data

    def clean_phone(self):
        phone = (self.cleaned_data.get("phone") or "").strip().replace(" ", "")
        if phone and not engine.PHONE_RE.match(phone):
            raise djforms.ValidationError(
                _("Enter an 11-digit mobile number or a landline with its area code"), code="invalid"
            )
        return phone


class ClaimForm(djforms.Form):
    """Claim an account a window clerk opened (认领账户): the code from the text message, then the
    username and password the holder chooses (Django's password validators)."""

    code = djforms.CharField(label=_("Code from the text message"), max_length=6)
    username = djforms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Letters, digits and @/./+/-/_ only; 150 characters or fewer."),
    )
    password1 = djforms.CharField(label=_("Password"), strip=False, widget=djforms.PasswordInput)
    password2 = djforms.CharField(label=_("Password confirmation"), strip=False, widget=djforms.PasswordInput)

    def clean_username(self):
        User = get_user_model()
        username = self.cleaned_data["username"].strip()
        User.username_validator(username)
        if User.objects.filter(username__iexact=username).exists():
            raise djforms.ValidationError(_("A user with that username already exists."), code="unique")
        return username

    def clean(self):
        from django.contrib.auth import password_validation

        data = super().clean()
        one, two = data.get("password1"), data.get("password2")
        if one and two and one != two:
            self.add_error("password2", djforms.ValidationError(_("The two password fields didn’t match.")))
        elif one:
            try:
                password_validation.validate_password(one)
            except djforms.ValidationError as exc:
                self.add_error("password1", exc)
        return data
