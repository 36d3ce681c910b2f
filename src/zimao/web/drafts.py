"""An application in progress (草稿), kept in the applicant's session until it is submitted.

Each section is kept as the form engine cleaned it, so identity and phone numbers sit in the
session encrypted with their mask beside them (``catalog.forms.protect``) — never as plain text,
and never shown again unmasked. On submission they are revealed once and handed to the engine,
which validates everything again.
"""

from __future__ import annotations

from zimao.catalog import forms as engine

SESSION_KEY = "zimao.drafts"


class Draft:
    def __init__(self, request, service):
        self.request = request
        self.service = service
        store = request.session.get(SESSION_KEY) or {}
        data = store.get(service.code) or {}
        self.sections: dict = data.get("sections") or {}
        self.materials: dict = data.get("materials") or {}

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
        self.sections[key] = values
        self._store()

    def save_material(self, key: str, material) -> None:
        replaced = (self.materials.get(key) or {}).get("id")
        if replaced and replaced != material.pk:  # the old upload would only hold the owner's quota
            from zimao.cases.services import discard_unattached_material

            discard_unattached_material(self.request.user, replaced)
        self.materials[key] = {"id": material.pk, "name": material.original_name, "size": material.size}
        self._store()

    def clear(self) -> None:
        store = self.request.session.get(SESSION_KEY) or {}
        store.pop(self.service.code, None)
        self.request.session[SESSION_KEY] = store
        self.sections, self.materials = {}, {}

    def _store(self) -> None:
        store = self.request.session.get(SESSION_KEY) or {}
        store[self.service.code] = {"sections": self.sections, "materials": self.materials}
        self.request.session[SESSION_KEY] = store

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
