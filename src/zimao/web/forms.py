"""Forms for the pages.

Two kinds live here: the account form (a Django form, Django's password validators), and the
adapter that turns one section of a catalogue form (``ServiceItem.form``) into HTML fields and a
POST back into the values ``catalog.forms.validate`` expects. The catalogue decides what is asked;
this module only decides how it looks: radios for a short list, a select for a long one,
checkboxes for many, a text box with the right keyboard for numbers.
"""

from __future__ import annotations

from django import forms as djforms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zimao.catalog import forms as engine
from zimao.web.pages import dom_id
from zimao.web.present import bi

# ---------------------------------------------------------------- accounts


class RegisterForm(UserCreationForm):
    """A new applicant's account: username, name, identity number (one account per number; optional,
    since foreign, Hong Kong, Macao and Taiwan applicants hold no resident identity card), an
    optional phone, the password twice."""

    first_name = djforms.CharField(label=_("Your name"), max_length=150, help_text=_("As on your identity document."))
    id_number = djforms.CharField(
        label=_("Your identity number"),
        max_length=24,
        required=False,
        help_text=_(
            "18 characters, from your resident identity card; leave it empty if you hold none (foreign, Hong "
            "Kong, Macao or Taiwan applicants). One account per identity number: the service window finds your "
            "account by it. It is stored encrypted and shown masked."
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

    def clean_id_number(self):
        from zimao.core.identifiers import validate_id_number
        from zimao.web.present import problem_message

        if not (self.cleaned_data.get("id_number") or "").strip():
            return ""  # no mainland identity card: the account is found by its phone at the window
        result = validate_id_number(self.cleaned_data["id_number"], field_name="id_number")
        if result.problems:
            raise djforms.ValidationError(problem_message(result.problems[0]), code=result.problems[0].code)
        return result.value

    def clean_phone(self):
        phone = (self.cleaned_data.get("phone") or "").strip().replace(" ", "")
        if phone and not engine.PHONE_RE.match(phone):
            raise djforms.ValidationError(
                _("Enter an 11-digit mobile number or a landline with its area code"), code="invalid"
            )
        return phone


# ---------------------------------------------------------------- catalogue form sections

RADIO_LIMIT = 5  # more choices than this are a select (GOV.UK: radios for a short list)


def choice_value(choice) -> str:
    return str(choice[0] if isinstance(choice, (list, tuple)) else choice)


def choice_label(choice) -> str:
    return (
        bi(choice)
        if isinstance(choice, (list, tuple)) and len(choice) > 1
        else str(choice[0] if isinstance(choice, (list, tuple)) else choice)
    )


def widget_for(field: dict) -> str:
    kind = field.get("type", "text")
    choices = field.get("choices") or []
    if kind == "textarea":
        return "textarea"
    if kind == "bool":
        return "checkbox"
    if kind == "multichoice":
        return "checkboxes"
    if kind == "choice":
        return "radios" if len(choices) <= RADIO_LIMIT else "select"
    if kind == "division" and choices:
        return "select"
    if kind == "date":
        return "date"
    return "text"


INPUT_MODES = {"int": "numeric", "decimal": "decimal", "phone": "tel", "id_number": "text"}
AUTOCOMPLETE = {"phone": "tel"}


def empty_value(field: dict):
    return [] if field.get("type") == "multichoice" else ""


def read_post(section: dict, post, saved: dict) -> tuple[dict, dict]:
    """``(values to validate, values as typed)`` for one section from a POST.

    A protected field (identity or phone number) left blank keeps what was saved before: the page
    never shows it again, so the applicant re-enters it only to change it.
    """
    values, typed = {}, {}
    for field in section.get("fields", []):
        key, kind = field["key"], field.get("type", "text")
        if kind == "multichoice":
            raw = [v for v in post.getlist(key) if v]
        elif kind == "bool":
            # An unticked box is "no"; for a box that must be ticked, it is "not answered".
            raw = "true" if post.get(key) else ("" if field.get("required") else "false")
        else:
            raw = (post.get(key) or "").strip()
        typed[key] = raw
        if kind in engine.PROTECTED_TYPES and raw == "" and isinstance(saved.get(key), dict):
            raw = engine.reveal(saved[key])
        values[key] = raw
    return values, typed


def draft_values(section: dict, cleaned: dict) -> dict:
    """What the draft keeps for a section: the cleaned values (identity and phone numbers
    encrypted with their mask beside them), and an explicit empty answer where the applicant left
    a field blank, so a catalogue default never silently replaces "nothing"."""
    return {f["key"]: cleaned.get(f["key"], empty_value(f)) for f in section.get("fields", [])}


def bound_fields(
    section: dict, *, saved: dict | None, typed: dict | None = None, errors: dict | None = None
) -> list[dict]:
    """Everything a template needs to draw one section's fields.

    ``typed`` is what was just posted (redisplayed after an error); otherwise the saved draft, or
    the catalogue's default for a section not yet answered.
    """
    errors = errors or {}
    out = []
    for field in section.get("fields", []):
        key, kind = field["key"], field.get("type", "text")
        widget = widget_for(field)
        stored = (saved or {}).get(key) if saved is not None else field.get("default")
        masked = ""
        if kind in engine.PROTECTED_TYPES:
            # Never back into the page once saved: show the mask, let them type it again.
            if isinstance(stored, dict):
                masked = stored.get("masked", "")
            stored = None
        value = typed[key] if typed is not None and key in typed else stored
        if isinstance(value, dict):
            value = ""
        if widget == "checkboxes":
            selected = {str(v) for v in (value or [])}
        elif widget == "checkbox":
            selected = {"true"} if value in (True, "true", "1", "on", "yes") else set()
        else:
            selected = {"" if value is None else str(value)}
        choices = [
            {
                "value": choice_value(c),
                "label": choice_label(c),
                "id": f"f-{key}" if i == 0 else f"f-{key}-{i}",
                "selected": choice_value(c) in selected,
            }
            for i, c in enumerate(field.get("choices") or [])
        ]
        out.append(
            {
                "key": key,
                "id": f"f-{key}",
                "type": kind,
                "widget": widget,
                "label": bi(field, "label") or key,
                "hint": bi(field, "help"),
                "required": bool(field.get("required")) and not masked,
                "value": "" if value is None or isinstance(value, list) else str(value),
                "checked": "true" in selected,
                "choices": choices,
                "has_empty": widget == "select" and not any(c["selected"] for c in choices),
                "inputmode": INPUT_MODES.get(kind, ""),
                "autocomplete": AUTOCOMPLETE.get(kind, "off" if kind in engine.PROTECTED_TYPES else ""),
                "maxlength": field.get("max_length") if kind in ("text", "textarea") else None,
                "masked": masked,
                "error": errors.get(key, ""),
            }
        )
    return out


def plain_field(
    name, label, value="", *, errors=None, hint="", widget="text", choices=None, required=True, width=""
) -> dict:
    """A field drawn by ``web/_field.html`` for a page whose form is not catalogue data (e.g. a
    certificate application): ``name`` is the field path the service names in its problems."""
    errors = errors or {}
    fid = dom_id(name)
    value = "" if value is None else value
    return {
        "key": name,
        "id": fid,
        "label": label,
        "value": value,
        "error": errors.get(name, ""),
        "hint": hint,
        "widget": widget,
        "required": required,
        "width": width,
        "type": "",
        "choices": [
            {"value": v, "label": lbl, "id": fid if i == 0 else f"{fid}-{i}", "selected": str(v) == str(value)}
            for i, (v, lbl) in enumerate(choices or [])
        ],
    }


def summary_data(form: dict, data: dict, language: str = "zh-hans") -> dict:
    """The data ``catalog.forms.summary`` shows, with the few things it does not put into words:
    blank answers left out, a division shown by its name, yes/no for a box."""
    out = {}
    for section, field in engine.iter_fields(form):
        value = (data.get(section["key"]) or {}).get(field["key"])
        if value is None or value == "" or value == []:
            continue
        kind = field.get("type")
        if kind == "division" and field.get("choices"):
            labels = {choice_value(c): choice_label(c) for c in field["choices"]}
            if value in labels:
                value = f"{labels[value]} ({value})" if language.startswith("en") else f"{labels[value]}（{value}）"
        elif kind == "bool":
            value = gettext("Yes") if value is True else gettext("No")
        out.setdefault(section["key"], {})[field["key"]] = value
    return out


def grouped_summary(form: dict, data: dict, language: str) -> list[dict]:
    """Check-your-answers rows grouped by section (one summary list per section)."""
    rows = engine.summary(form, summary_data(form, data, language), language)
    groups: list[dict] = []
    titles = {s["key"]: bi(s, "title") or s["key"] for s in form.get("sections", [])}
    for section in form.get("sections", []):
        mine = [r for r in rows if r["section_key"] == section["key"]]
        groups.append({"key": section["key"], "title": titles[section["key"]], "rows": mine})
    return groups


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
