"""An application in progress (草稿, 暂存), saved on the server until it is submitted
(``cases.drafts``): logging out, or another browser, does not lose it.

Each section is kept as the form engine cleaned it, so identity and phone numbers are stored
encrypted with their mask beside them (``catalog.forms.protect``) — never as plain text, and
never shown again unmasked. On submission they are revealed once and handed to the engine,
which validates everything again (and deletes the draft).
"""

from __future__ import annotations

from zimao.cases import drafts as saved
from zimao.catalog import forms as engine

# Where drafts lived before they were saved on the server: one found there is moved over once.
SESSION_KEY = "zimao.drafts"


class Draft:
    saved_at = None  # when the server last kept it (a subclass may keep drafts elsewhere)

    def __init__(self, request, service):
        self.request = request
        self.service = service
        row = saved.get_draft(request.user, service)
        if row is None:
            row = self._from_session()
        else:
            self._forget_session()
        self._load(row)

    def _load(self, row) -> None:
        self.sections: dict = dict(row.sections) if row else {}
        self.materials: dict = dict(row.materials) if row else {}
        self.saved_at = row.updated_at if row else None

    def _from_session(self):
        store = self.request.session.get(SESSION_KEY) or {}
        data = store.get(self.service.code)
        if not data:
            return None
        self._forget_session()
        return saved.import_session_draft(
            self.request.user, self.service, data.get("sections") or {}, data.get("materials") or {}
        )

    def _forget_session(self) -> None:
        store = self.request.session.get(SESSION_KEY)
        if store and self.service.code in store:
            store.pop(self.service.code)
            self.request.session[SESSION_KEY] = store

    # -------------------------------------------------------------- the catalogue's shape

    @property
    def form_sections(self) -> list[dict]:
        return list(self.service.form.get("sections", []))

    def section(self, key: str) -> dict | None:
        return next((s for s in self.form_sections if s["key"] == key), None)

    @property
    def required_materials(self) -> list[str]:
        return [m["key"] for m in self.service.materials if m.get("required")]

    # -------------------------------------------------------------- progress

    def section_done(self, key: str) -> bool:
        return key in self.sections

    def materials_done(self) -> bool:
        return all(k in self.materials for k in self.required_materials)

    def incomplete_sections(self) -> list[dict]:
        return [s for s in self.form_sections if not self.section_done(s["key"])]

    def complete(self) -> bool:
        return not self.incomplete_sections() and self.materials_done()

    # -------------------------------------------------------------- changing it

    def save_section(self, key: str, values: dict) -> None:
        self._load(saved.save_section(self.request.user, self.service, key, values))

    def save_material(self, key: str, material) -> None:
        self._load(saved.save_material(self.request.user, self.service, key, material))

    def clear(self) -> None:
        """After submission (the engine has deleted the row already) or when the applicant deletes
        the draft: unsent uploads it held go with it."""
        saved.delete_draft(self.request.user, self.service)
        self._forget_session()
        self._load(None)

    # -------------------------------------------------------------- submission

    def application_data(self) -> dict:
        """``{section: {field: plain value}}`` for ``cases.services.submit``."""
        return {
            section: {key: _reveal(value) for key, value in values.items()}
            for section, values in self.sections.items()
            if self.section(section)
        }

    def material_ids(self) -> dict[str, int]:
        return {key: entry["id"] for key, entry in self.materials.items()}


def _reveal(value):
    """The plain value; a protected value that no longer decrypts (the field key was rotated
    while the draft waited) becomes blank, so the engine asks for it again instead of failing."""
    try:
        return engine.reveal(value)
    except ValueError:
        return ""
