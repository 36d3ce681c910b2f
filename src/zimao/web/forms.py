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

# ---------------------------------------------------------------- accounts


class RegisterForm(UserCreationForm):
    """A new applicant's account: username, name, an optional phone, the password twice."""

    first_name = djforms.CharField(label=_("Your name"), max_length=150, help_text=_("As on your identity document."))
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

    def clean_phone(self):
        phone = (self.cleaned_data.get("phone") or "").strip().replace(" ", "")
        if phone and not engine.PHONE_RE.match(phone):
            raise djforms.ValidationError(
                _("Enter an 11-digit mobile number or a landline with its area code"), code="invalid"
            )
        return phone
