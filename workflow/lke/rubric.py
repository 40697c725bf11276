"""Versioned rubrics (LKE) as data: load, check and describe them.

A rubric version is one YAML file in ``data/`` (a verbatim copy of ``shared/lke/<id>.yaml``),
plus, where that file carries no predicate thresholds, ``data/thresholds-<id>.yaml``. Numbers
are read as :class:`~decimal.Decimal` (via ``Decimal(str(x))``, never as float arithmetic) and
checked on load: area weights add up to their aspect and component, the pengungkit area totals
match ``meta.area_totals_pengungkit`` where given, and the summary-form hasil inputs cover the
hasil indicators exactly.

Pure module: it imports neither Flask nor the database. Loaded rubrics are cached and shared;
treat every mapping on a :class:`Rubric` as read-only.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any, NamedTuple

import yaml

__all__ = [
    "PREDICATES",
    "RUBRIC_IDS",
    "SUBCOMPONENT_THRESHOLDS",
    "Bounds",
    "HasilInput",
    "Rubric",
    "RubricDataError",
    "Thresholds",
    "UnknownRubric",
    "build_rubric",
    "load_rubric",
]

RUBRIC_IDS: tuple[str, ...] = ("permenpanrb-52-2014", "permenpanrb-90-2021")

#: The predicates, in the order they are reported.
PREDICATES: tuple[str, ...] = ("WBK", "WBBM")

#: Sub-component (key of ``Evaluation.hasil``) -> the :class:`Thresholds` field that bounds it.
SUBCOMPONENT_THRESHOLDS: dict[str, str] = {
    "ipak": "survei_persepsi_anti_korupsi_min",
    "tlhp": "tlhp_min",
    "kinerja": "capaian_kinerja_min",
}

# How each rubric's hasil is entered in summary form (the HTTP contract). Only names live here;
# every number (weights, survey scale) is read from the rubric file.
# (input name, sub-component, component, hasil area key, indicator key, entered as survey index)
_SUMMARY_FORMS: dict[str, tuple[tuple[str, str, str, str, str, bool], ...]] = {
    "permenpanrb-52-2014": (
        ("ipak", "ipak", "bersih", "pemerintahan_bersih_bebas_kkn", "ipak", False),
        ("tlhp", "tlhp", "bersih", "pemerintahan_bersih_bebas_kkn", "tlhp", False),
        ("ipkp", "ipkp", "pelayanan", "peningkatan_kualitas_pelayanan_publik", "ipkp", False),
    ),
    "permenpanrb-90-2021": (
        ("ipak_index", "ipak", "bersih", "birokrasi_bersih_akuntabel", "ipak", True),
        ("kinerja", "kinerja", "bersih", "birokrasi_bersih_akuntabel", "capaian_kinerja", False),
        ("ipkp_index", "ipkp", "pelayanan", "pelayanan_publik_prima", "ipkp", True),
    ),
}

_HASIL_COMPONENTS = ("bersih", "pelayanan")
_ZERO = Decimal(0)


class UnknownRubric(LookupError):
    """No rubric version with this id."""

    def __init__(self, regulation_id: object) -> None:
        super().__init__(f"unknown rubric: {regulation_id!r}")
        self.regulation_id = regulation_id


class RubricDataError(ValueError):
    """A rubric or thresholds file is malformed or inconsistent."""


class Bounds(NamedTuple):
    """Inclusive range of an input: ``minimum <= value <= maximum``."""

    minimum: Decimal
    maximum: Decimal


@dataclass(frozen=True)
class HasilInput:
    """One summary-form hasil input and how it becomes points."""

    name: str  # input field, e.g. "ipak_index"
    subcomponent: str  # key in Evaluation.hasil: ipak | tlhp | kinerja | ipkp
    component: str  # bersih | pelayanan
    area_key: str  # hasil area in the tree
    indicator_key: str  # indicator in the tree
    weight: Decimal  # points of the indicator
    index_max: Decimal | None  # survey scale maximum when entered as an index, else None

    @property
    def bounds(self) -> Bounds:
        return Bounds(_ZERO, self.index_max if self.index_max is not None else self.weight)

    def points(self, value: Decimal) -> Decimal:
        """Unrounded points for an input value (index / max × weight, or the points as given)."""
        if self.index_max is None:
            return value
        return value * self.weight / self.index_max


@dataclass(frozen=True)
class Thresholds:
    """Minimums of one predicate; ``None`` means the criterion does not apply."""

    total_min: Decimal | None = None
    pengungkit_min: Decimal | None = None
    area_min_fraction: Decimal | None = None
    hasil_bersih_bebas_kkn_min: Decimal | None = None
    survei_persepsi_anti_korupsi_min: Decimal | None = None
    tlhp_min: Decimal | None = None
    capaian_kinerja_min: Decimal | None = None
    hasil_kualitas_pelayanan_min: Decimal | None = None


_THRESHOLD_KEYS = tuple(f.name for f in fields(Thresholds))


@dataclass(frozen=True)
class Rubric:
    """A loaded, checked rubric version."""

    id: str
    title: str
    #: the regulation the version implements (its summary form and thresholds)
    regulation: str
    #: pengungkit area key -> total weight (pemenuhan + reform where split), in tree order
    pengungkit_areas: dict[str, Decimal]
    #: pengungkit area key -> name as printed (first occurrence)
    area_names: dict[str, str]
    pengungkit_weight: Decimal
    hasil_weight: Decimal
    #: hasil component ("bersih", "pelayanan") -> weight
    hasil_components: dict[str, Decimal]
    #: hasil component -> name as printed
    component_names: dict[str, str]
    #: summary-form hasil input name -> bounds (minimum, maximum)
    hasil_inputs: dict[str, Bounds]
    #: summary-form hasil input name -> full description
    hasil_specs: dict[str, HasilInput]
    #: "WBK" / "WBBM" -> thresholds
    thresholds: dict[str, Thresholds]
    item_count: int
    content_sha256: str
    thresholds_sha256: str | None
    tree: dict[str, Any] = field(repr=False, compare=False)


# --------------------------------------------------------------------------- loading


@functools.cache
def load_rubric(regulation_id: str) -> Rubric:
    """The rubric version ``regulation_id`` (cached); :class:`UnknownRubric` if there is none."""
    if not isinstance(regulation_id, str) or regulation_id not in RUBRIC_IDS:
        raise UnknownRubric(regulation_id)
    data = resources.files("workflow.lke") / "data"
    raw = (data / f"{regulation_id}.yaml").read_bytes()
    thresholds_file = data / f"thresholds-{regulation_id}.yaml"
    thresholds_raw = thresholds_file.read_bytes() if thresholds_file.is_file() else None
    return build_rubric(regulation_id, raw, thresholds_raw)


def build_rubric(regulation_id: str, raw: bytes, thresholds_raw: bytes | None = None, *,
                 base: str | None = None, tree: dict[str, Any] | None = None) -> Rubric:
    """Parse and check a rubric file (and its thresholds file, if separate).

    ``base`` is the regulation whose summary form and thresholds apply to a version stored
    under another id (a corrected file loaded with a new id, PortalRB's master list);
    ``tree`` is the already parsed content where ``raw`` is not YAML.
    """
    form = base or regulation_id
    if form not in _SUMMARY_FORMS:
        raise UnknownRubric(regulation_id)
    if tree is None:
        tree = _parse_yaml(raw, f"{regulation_id}.yaml")
    meta = _mapping(tree.get("meta"), "meta")
    if base is None and meta.get("id") != regulation_id:
        raise RubricDataError(f"meta.id is {meta.get('id')!r}, expected {regulation_id!r}")
    title = meta.get("title")
    if not isinstance(title, str) or not title:
        raise RubricDataError("meta.title missing")

    components = _components(tree)
    for key in ("pengungkit", "hasil"):
        if key not in components:
            raise RubricDataError(f"component {key!r} missing")
    if set(components) != {"pengungkit", "hasil"}:
        raise RubricDataError(f"unexpected components {sorted(components)}")
    pengungkit_weight = _dec(components["pengungkit"].get("weight"), "pengungkit.weight")
    hasil_weight = _dec(components["hasil"].get("weight"), "hasil.weight")
    if pengungkit_weight + hasil_weight != 100:
        raise RubricDataError("component weights do not add up to 100")
    for key, component in components.items():
        _check_sums(component, key)

    pengungkit_areas, area_names = _pengungkit_areas(components["pengungkit"])
    if sum(pengungkit_areas.values(), _ZERO) != pengungkit_weight:
        raise RubricDataError("pengungkit area totals do not add up to the component weight")
    printed_totals = meta.get("area_totals_pengungkit")
    if printed_totals is not None:
        totals = {
            str(k): _dec(v, f"meta.area_totals_pengungkit.{k}")
            for k, v in _mapping(printed_totals, "meta.area_totals_pengungkit").items()
        }
        if totals != pengungkit_areas:
            raise RubricDataError(
                "pengungkit area totals from the tree do not match meta.area_totals_pengungkit"
            )

    specs, hasil_components, component_names = _hasil(form, components["hasil"])
    if sum(hasil_components.values(), _ZERO) != hasil_weight:
        raise RubricDataError("hasil components do not add up to the hasil weight")

    in_meta = meta.get("thresholds")
    if in_meta is not None and thresholds_raw is not None:
        raise RubricDataError("thresholds given both in meta.thresholds and in a separate file")
    if in_meta is not None:
        thresholds = _thresholds(in_meta, form, "meta.thresholds")
        thresholds_sha256 = None
    elif thresholds_raw is not None:
        name = f"thresholds-{form}.yaml"
        thresholds = _thresholds(_parse_yaml(thresholds_raw, name), form, name)
        thresholds_sha256 = hashlib.sha256(thresholds_raw).hexdigest()
    else:
        raise RubricDataError(f"no thresholds for {regulation_id}")
    subcomponents = {spec.subcomponent for spec in specs.values()}
    for predicate, t in thresholds.items():
        for sub, attr in SUBCOMPONENT_THRESHOLDS.items():
            if getattr(t, attr) is not None and sub not in subcomponents:
                raise RubricDataError(f"{predicate}.{attr} set but the rubric has no {sub!r}")

    return Rubric(
        id=regulation_id,
        title=title,
        regulation=form,
        pengungkit_areas=pengungkit_areas,
        area_names=area_names,
        pengungkit_weight=pengungkit_weight,
        hasil_weight=hasil_weight,
        hasil_components=hasil_components,
        component_names=component_names,
        hasil_inputs={name: spec.bounds for name, spec in specs.items()},
        hasil_specs=specs,
        thresholds=thresholds,
        item_count=_item_count(components),
        content_sha256=hashlib.sha256(raw).hexdigest(),
        thresholds_sha256=thresholds_sha256,
        tree=tree,
    )


# --------------------------------------------------------------------------- helpers


def _parse_yaml(raw: bytes, name: str) -> dict[str, Any]:
    try:
        parsed = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise RubricDataError(f"{name}: not valid YAML: {exc}") from exc
    return _mapping(parsed, name)


def _mapping(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RubricDataError(f"{where}: expected a mapping")
    return value


def _list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise RubricDataError(f"{where}: expected a list")
    return value


def _dec(value: object, where: str) -> Decimal:
    """A YAML number as Decimal, via its string form (never float arithmetic)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise RubricDataError(f"{where}: expected a number, got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise RubricDataError(f"{where}: expected a number, got {value!r}") from exc
    if not number.is_finite() or number < 0:
        raise RubricDataError(f"{where}: expected a finite non-negative number, got {value!r}")
    return number


def _components(tree: dict[str, Any]) -> dict[str, dict[str, Any]]:
    components: dict[str, dict[str, Any]] = {}
    for i, component in enumerate(_list(tree.get("components"), "components")):
        component = _mapping(component, f"components[{i}]")
        key = component.get("key")
        if not isinstance(key, str) or key in components:
            raise RubricDataError(f"components[{i}]: missing or duplicate key {key!r}")
        components[key] = component
    return components


def _check_sums(component: dict[str, Any], where: str) -> None:
    """Aspect weights add up to the component; area weights to their aspect."""
    weight = _dec(component.get("weight"), f"{where}.weight")
    aspects = _list(component.get("aspects"), f"{where}.aspects")
    aspect_total = _ZERO
    for aspect in aspects:
        aspect = _mapping(aspect, f"{where}.aspects[]")
        aspect_where = f"{where}.{aspect.get('key')}"
        aspect_weight = _dec(aspect.get("weight"), f"{aspect_where}.weight")
        areas = _list(aspect.get("areas"), f"{aspect_where}.areas")
        area_total = sum(
            (_dec(_mapping(a, aspect_where).get("weight"), f"{aspect_where}.area") for a in areas),
            _ZERO,
        )
        if area_total != aspect_weight:
            raise RubricDataError(f"{aspect_where}: area weights add up to {area_total}")
        aspect_total += aspect_weight
    if aspect_total != weight:
        raise RubricDataError(f"{where}: aspect weights add up to {aspect_total}")


def _areas(component: dict[str, Any]) -> list[dict[str, Any]]:
    return [area for aspect in component["aspects"] for area in aspect["areas"]]


def _pengungkit_areas(component: dict[str, Any]) -> tuple[dict[str, Decimal], dict[str, str]]:
    weights: dict[str, Decimal] = {}
    names: dict[str, str] = {}
    for area in _areas(component):
        key = area.get("key")
        if not isinstance(key, str):
            raise RubricDataError(f"pengungkit area without key: {area.get('name')!r}")
        weight = _dec(area.get("weight"), f"pengungkit.{key}.weight")
        weights[key] = weights.get(key, _ZERO) + weight
        names.setdefault(key, str(area.get("name") or key))
    return weights, names


def _hasil(
    regulation_id: str, component: dict[str, Any]
) -> tuple[dict[str, HasilInput], dict[str, Decimal], dict[str, str]]:
    areas = {area.get("key"): area for area in _areas(component)}
    specs: dict[str, HasilInput] = {}
    covered: set[tuple[str, str]] = set()
    area_component: dict[str, str] = {}
    for name, sub, comp, area_key, indicator_key, as_index in _SUMMARY_FORMS[regulation_id]:
        where = f"hasil.{area_key}.{indicator_key}"
        if area_key not in areas:
            raise RubricDataError(f"hasil area {area_key!r} missing")
        if area_component.setdefault(area_key, comp) != comp:
            raise RubricDataError(f"hasil area {area_key!r} split between components")
        indicators = {
            i.get("key"): i
            for i in _list(areas[area_key].get("indicators"), f"hasil.{area_key}.indicators")
        }
        if indicator_key not in indicators:
            raise RubricDataError(f"{where} missing")
        indicator = indicators[indicator_key]
        weight = _dec(indicator.get("weight"), f"{where}.weight")
        index_max: Decimal | None = None
        if as_index:
            items = _list(indicator.get("items"), f"{where}.items")
            if len(items) != 1 or items[0].get("answer_type") != "survey_index":
                raise RubricDataError(f"{where}: expected one survey_index item")
            scale = _mapping(items[0].get("scale"), f"{where}.scale")
            if _dec(scale.get("min"), f"{where}.scale.min") != 0:
                raise RubricDataError(f"{where}: survey scale must start at 0")
            index_max = _dec(scale.get("max"), f"{where}.scale.max")
            if index_max == 0:
                raise RubricDataError(f"{where}: survey scale maximum is 0")
        specs[name] = HasilInput(name, sub, comp, area_key, indicator_key, weight, index_max)
        covered.add((area_key, indicator_key))

    everything = {
        (area_key, indicator.get("key"))
        for area_key, area in areas.items()
        for indicator in _list(area.get("indicators"), f"hasil.{area_key}.indicators")
    }
    if covered != everything:
        raise RubricDataError(
            f"summary-form inputs do not cover the hasil indicators: {sorted(everything - covered)}"
        )
    weights: dict[str, Decimal] = {}
    names: dict[str, str] = {}
    for area_key, comp in area_component.items():
        area_weight = _dec(areas[area_key].get("weight"), f"hasil.{area_key}.weight")
        indicator_total = sum((s.weight for s in specs.values() if s.area_key == area_key), _ZERO)
        if indicator_total != area_weight:
            raise RubricDataError(
                f"hasil.{area_key}: indicator weights add up to {indicator_total}"
            )
        weights[comp] = weights.get(comp, _ZERO) + area_weight
        names.setdefault(comp, str(areas[area_key].get("name") or area_key))
    if tuple(sorted(weights)) != tuple(sorted(_HASIL_COMPONENTS)):
        raise RubricDataError(f"hasil components {sorted(weights)}, expected {_HASIL_COMPONENTS}")
    ordered = {comp: weights[comp] for comp in _HASIL_COMPONENTS}
    return specs, ordered, {comp: names[comp] for comp in _HASIL_COMPONENTS}


def _thresholds(block: object, regulation_id: str, where: str) -> dict[str, Thresholds]:
    block = _mapping(block, where)
    if "regulation" in block and block["regulation"] != regulation_id:
        raise RubricDataError(f"{where}: regulation is {block['regulation']!r}")
    unknown = set(block) - {"regulation", "source", "wbk", "wbbm"}
    if unknown:
        raise RubricDataError(f"{where}: unknown keys {sorted(unknown)}")
    result: dict[str, Thresholds] = {}
    for predicate in PREDICATES:
        key = predicate.lower()
        criteria = _mapping(block.get(key), f"{where}.{key}")
        unknown = set(criteria) - set(_THRESHOLD_KEYS)
        if unknown:
            raise RubricDataError(f"{where}.{key}: unknown criteria {sorted(unknown)}")
        values = {k: _dec(v, f"{where}.{key}.{k}") for k, v in criteria.items()}
        fraction = values.get("area_min_fraction")
        if fraction is not None and fraction > 1:
            raise RubricDataError(f"{where}.{key}.area_min_fraction must be at most 1")
        result[predicate] = Thresholds(**values)
    return result


def _item_count(components: dict[str, dict[str, Any]]) -> int:
    return sum(
        len(_list(indicator.get("items"), f"indicator {indicator.get('key')!r} items"))
        for component in components.values()
        for area in _areas(component)
        for indicator in _list(area.get("indicators"), f"area {area.get('key')!r} indicators")
    )
