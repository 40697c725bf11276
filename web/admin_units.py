"""Admin pages for instansi and units (``/admin/instansi``, ``/admin/unit``): list, create,
and edit a unit's name, code, the seed's eligibility facts and ``afirmasi``. Admins only;
everyone else gets the 403 page. Writes go through ``workflow.directory``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web import bp
from web.errors import message_of
from web.home import MENU, N_
from web.session import current_person, login_required
from workflow import directory
from workflow.errors import Conflict, Forbidden, InvalidInput
from workflow.models import Unit, User

F = TypeVar("F", bound=Callable[..., Any])

KIND_LABELS = {"kementerian": N_("Kementerian"), "lembaga": N_("Lembaga"),
               "pemda": N_("Pemerintah daerah")}
FACTS = (("strategic_service", N_("Menjalankan fungsi pelayanan strategis")),
         ("rb_implemented", N_("Program reformasi birokrasi telah dilaksanakan dengan baik")),
         ("large_resources", N_("Mengelola sumber daya yang cukup besar")),
         ("afirmasi", N_("Unit afirmasi (diusulkan ke PortalRB sebagai WBK-AFIRMASI)")))
ESELON = (1, 2, 3, 4)

MENU.append((("admin",), N_("Instansi"), lambda: url_for("web.admin_instansi")))
MENU.append((("admin",), N_("Unit kerja"), lambda: url_for("web.admin_units")))


def admin_only(view: F) -> F:
    """Signed-in admins only: others see the 403 page."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        person = current_person()
        if person is None or person.role != "admin":
            raise Forbidden("Halaman ini hanya untuk admin", "This page is for admins only",
                            code="forbidden_for_role")
        return view(*args, **kwargs)

    return cast(F, login_required(cast(F, wrapper)))


def _admin() -> User:
    person = current_person()
    assert person is not None  # admin_only
    return person


def kind_label(kind: str) -> str:
    return _(KIND_LABELS.get(kind, kind))


# --------------------------------------------------------------------------- instansi

def _instansi_page(form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                   status: int = 200) -> Any:
    return render_template("admin_units/instansi.html",
                           instansi=directory.list_instansi(_admin()),
                           kinds=directory.INSTANSI_KINDS, kind_label=kind_label,
                           form=form or {"kind": "kementerian"}, errors=errors or {}), status


@bp.route("/admin/instansi")
@admin_only
def admin_instansi() -> Any:
    return _instansi_page()


@bp.route("/admin/instansi", methods=["POST"])
@admin_only
def admin_instansi_create() -> Any:
    form = {"name": request.form.get("name", ""), "kind": request.form.get("kind", "")}
    errors: dict[str, str] = {}
    name = form["name"].strip()
    if not name:
        errors["name"] = _("Nama wajib diisi")
    elif len(name) > 200:
        errors["name"] = _("Nama paling panjang %(n)d karakter", n=200)
    if form["kind"] not in directory.INSTANSI_KINDS:
        errors["kind"] = _("Pilih jenis instansi")
    if errors:
        return _instansi_page(form, errors, 400)
    try:
        created = directory.create_instansi(_admin(), name, form["kind"])
    except Conflict:
        return _instansi_page(form, {"name": _("Instansi dengan nama ini sudah ada")}, 409)
    flash(_("Instansi %(name)s dibuat", name=created.name), "success")
    return redirect(url_for("web.admin_units", instansi=created.id))


# --------------------------------------------------------------------------- units

def _unit_form(source: Any) -> dict[str, Any]:
    """The form's values from a posted form (typed as is) or from a unit."""
    if isinstance(source, Unit):
        return {"instansi_id": str(source.instansi_id), "name": source.name,
                "code": source.code, "eselon": str(source.eselon),
                **{key: bool(getattr(source, key)) for key, _label in FACTS}}
    return {"instansi_id": source.get("instansi_id", ""), "name": source.get("name", ""),
            "code": source.get("code", ""), "eselon": source.get("eselon", ""),
            **{key: source.get(key) == "1" for key, _label in FACTS}}


def _unit_values(form: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """What the use case is given; problems go beside their fields in ``errors``."""
    values: dict[str, Any] = {key: form[key] for key, _label in FACTS}
    for key, limit in (("name", 200), ("code", 50)):
        text = str(form[key]).strip()
        if not text:
            errors[key] = _("Wajib diisi")
        elif len(text) > limit:
            errors[key] = _("Paling panjang %(n)d karakter", n=limit)
        values[key] = text
    eselon = str(form["eselon"])
    if eselon not in {str(level) for level in ESELON}:
        errors["eselon"] = _("Pilih eselon I sampai IV")
    else:
        values["eselon"] = int(eselon)
    return values


def _units_page(instansi_id: int | None, form: dict[str, Any] | None = None,
                errors: dict[str, str] | None = None, status: int = 200) -> Any:
    admin = _admin()
    instansi = directory.list_instansi(admin)
    names = {row.id: row.name for row in instansi}
    units = directory.list_units(admin, instansi_id) if instansi_id is None or \
        instansi_id in names else []
    blank = {"instansi_id": str(instansi_id or ""), "eselon": "3",
             **{key: False for key, _label in FACTS}}
    return render_template("admin_units/units.html", units=units, instansi=instansi,
                           names=names, selected=instansi_id, facts=FACTS, eselon=ESELON,
                           form=form or blank, errors=errors or {}), status


def _instansi_arg() -> int | None:
    value = request.args.get("instansi", "")
    return int(value) if value.isdigit() and len(value) < 12 else None


@bp.route("/admin/unit")
@admin_only
def admin_units() -> Any:
    return _units_page(_instansi_arg())


@bp.route("/admin/unit", methods=["POST"])
@admin_only
def admin_unit_create() -> Any:
    form = _unit_form(request.form)
    errors: dict[str, str] = {}
    values = _unit_values(form, errors)
    raw = str(form["instansi_id"])
    instansi_id = int(raw) if raw.isdigit() and len(raw) < 12 else None
    if instansi_id is None:
        errors["instansi_id"] = _("Pilih instansi")
    if errors:
        return _units_page(instansi_id, form, errors, 400)
    try:
        unit = directory.create_unit(_admin(), instansi_id=instansi_id, **values)
    except InvalidInput:
        return _units_page(None, form, {"instansi_id": _("Pilih instansi")}, 400)
    except Conflict:
        return _units_page(instansi_id, form, {
            "code": _("Kode ini sudah dipakai unit lain di instansi ini")}, 409)
    flash(_("Unit %(name)s dibuat", name=unit.name), "success")
    return redirect(url_for("web.admin_units", instansi=unit.instansi_id))


def _edit_page(unit_id: int, form: dict[str, Any] | None = None,
               errors: dict[str, str] | None = None, status: int = 200,
               conflict: str | None = None) -> Any:
    unit = directory.get_unit(_admin(), unit_id)
    return render_template("admin_units/edit.html", unit=unit,
                           form=form or _unit_form(unit), errors=errors or {}, facts=FACTS,
                           eselon=ESELON, conflict=conflict), status


@bp.route("/admin/unit/<int:unit_id>")
@admin_only
def admin_unit_edit(unit_id: int) -> Any:
    return _edit_page(unit_id)


@bp.route("/admin/unit/<int:unit_id>", methods=["POST"])
@admin_only
def admin_unit_update(unit_id: int) -> Any:
    form = _unit_form(request.form)
    errors: dict[str, str] = {}
    values = _unit_values(form, errors)
    if errors:
        return _edit_page(unit_id, form, errors, 400)
    try:
        unit = directory.update_unit(_admin(), unit_id, values)
    except Conflict as error:
        if error.code == "unit_exists":
            return _edit_page(unit_id, form, {
                "code": _("Kode ini sudah dipakai unit lain di instansi ini")}, 409)
        return _edit_page(unit_id, form, status=409, conflict=message_of(error))
    flash(_("Unit %(name)s disimpan", name=unit.name), "success")
    return redirect(url_for("web.admin_units", instansi=unit.instansi_id))
