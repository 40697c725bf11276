"""PortalRB's master list of LKE questions, and its mapping to our 90/2021 worksheet.

PortalRB (KemenPANRB) identifies every LKE question by its own ``soal`` id and makes each count
of a percentage a question of its own; its master list describes the percentages only in
words. ``data/portalrb-mapping-2026.yaml`` ties each item of ``permenpanrb-90-2021`` to its
soal id(s) and states each percentage's formula, so the master list can be loaded as a rubric
tree of the same shape as our YAML files (:func:`master_to_tree`) and answers can be exchanged
with PortalRB by soal id.

Pure module: it imports neither Flask nor the database. Numbers are read as
:class:`~decimal.Decimal` (via ``str``, never float arithmetic). Cached results are shared;
treat them as read-only.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any

import yaml

from workflow.lke.rubric import RubricDataError, _list, _mapping

__all__ = [
    "BASE_RUBRIC_ID",
    "COUNT_JENIS",
    "JENIS_ANSWER_TYPES",
    "MAPPING_FILE",
    "MASTER_FILE",
    "RUBRIC_ID",
    "PercentMapping",
    "PortalrbMapping",
    "load_mapping",
    "load_master",
    "master_to_tree",
    "parse_mapping",
    "parse_master",
    "soal_ids_of",
    "soal_index",
]

RUBRIC_ID = "lke-portalrb-2026"
BASE_RUBRIC_ID = "permenpanrb-90-2021"
MASTER_FILE = "master-soal-lkezi-2026.json"
MAPPING_FILE = "portalrb-mapping-2026.yaml"

#: PortalRB's ``jenis_jawaban`` of an answerable question -> our ``answer_type``.
JENIS_ANSWER_TYPES: dict[str, str] = {
    "YA_TIDAK": "yes_no",
    "ABC": "abc",
    "ABCD": "abcd",
    "ABCDE": "abcde",
    "0-4": "survey_index",
}
#: ``jenis_jawaban`` of a count (an input of a percentage); both spellings occur.
COUNT_JENIS = frozenset({"Jumlah", "jumlah"})

# The option keys each answer type must offer, in order (PortalRB's skema_penilaian).
_OPTION_KEYS: dict[str, tuple[str, ...]] = {
    "yes_no": ("Ya", "Tidak"),
    "abc": ("A", "B", "C"),
    "abcd": ("A", "B", "C", "D"),
    "abcde": ("A", "B", "C", "D", "E"),
    "survey_index": (),
}
_COMPONENT_KEYS = ("pengungkit", "hasil")
# "A. PENGUNGKIT", "II. REFORM", "1. MANAJEMEN PERUBAHAN", "iii. ...": the printed enumerator.
_ENUMERATOR = re.compile(r"^\s*([IVXivx]+|[A-Za-z]|\d+)\.\s*(\S.*)$", re.DOTALL)
_PERCENT_FIELDS = frozenset(
    {"counts", "numerator", "numerator_minus", "denominator", "cap", "if_denominator_zero"}
)


@dataclass(frozen=True)
class PercentMapping:
    """A percent item's count soals and the formula the master list only states in words."""

    counts: dict[str, int]  # count key -> soal id, in the mapping's order
    numerator: tuple[str, ...]  # summed
    numerator_minus: tuple[str, ...]  # subtracted from the numerator
    denominator: tuple[str, ...]  # summed
    cap: bool  # True: numerator may exceed denominator, value capped at 1
    if_denominator_zero: int  # value when denominator and numerator are both 0 (0 or 1)

    def formula(self) -> dict[str, Any]:
        """The formula as it appears in a rubric tree."""
        return {
            "numerator": list(self.numerator),
            "numerator_minus": list(self.numerator_minus),
            "denominator": list(self.denominator),
            "cap": self.cap,
            "if_denominator_zero": self.if_denominator_zero,
        }


@dataclass(frozen=True)
class PortalrbMapping:
    """Every 90/2021 item -> its soal id (``items``) or its count soals (``percent``)."""

    items: dict[str, int]
    percent: dict[str, PercentMapping]

    def soal_ids_of(self, item_id: str) -> tuple[int, ...]:
        """The item's one soal id, or its count soal ids in the mapping's order."""
        if item_id in self.items:
            return (self.items[item_id],)
        if item_id in self.percent:
            return tuple(self.percent[item_id].counts.values())
        raise KeyError(f"no PortalRB mapping for item {item_id!r}")

    def owners(self) -> dict[int, tuple[str, str | None]]:
        """Soal id -> (item id, count key, or None for a whole item)."""
        owners: dict[int, tuple[str, str | None]] = {s: (i, None) for i, s in self.items.items()}
        for item_id, pm in self.percent.items():
            owners.update({s: (item_id, key) for key, s in pm.counts.items()})
        return owners


# --------------------------------------------------------------------------- the mapping


@functools.cache
def load_mapping() -> PortalrbMapping:
    """The shipped mapping (cached), checked."""
    return parse_mapping(_data(MAPPING_FILE))


def parse_mapping(raw: bytes) -> PortalrbMapping:
    """Parse and check a mapping file: int ids, each soal once, formulas over its counts."""
    try:
        doc = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise RubricDataError(f"{MAPPING_FILE}: not valid YAML: {exc}") from exc
    doc = _mapping(doc, MAPPING_FILE)
    _mapping(doc.get("meta"), "meta")
    seen: dict[int, str] = {}

    def claim(soal_id: object, where: str) -> int:
        if isinstance(soal_id, bool) or not isinstance(soal_id, int) or soal_id < 1:
            raise RubricDataError(f"{where}: soal id must be a positive integer, got {soal_id!r}")
        if soal_id in seen:
            raise RubricDataError(f"{where}: soal {soal_id} is already mapped to {seen[soal_id]}")
        seen[soal_id] = where
        return soal_id

    items = {
        _item_id(item_id, "items"): claim(soal_id, f"items.{item_id}")
        for item_id, soal_id in _mapping(doc.get("items"), "items").items()
    }
    percent: dict[str, PercentMapping] = {}
    for item_id, block in _mapping(doc.get("percent"), "percent").items():
        where = f"percent.{_item_id(item_id, 'percent')}"
        if item_id in items:
            raise RubricDataError(f"{where}: also listed under items")
        block = _mapping(block, where)
        if set(block) != _PERCENT_FIELDS:
            raise RubricDataError(f"{where}: expected the fields {sorted(_PERCENT_FIELDS)}")
        counts = {
            str(key): claim(soal_id, f"{where}.counts.{key}")
            for key, soal_id in _mapping(block["counts"], f"{where}.counts").items()
        }
        if not counts:
            raise RubricDataError(f"{where}.counts is empty")
        terms = {
            name: _keys(block[name], f"{where}.{name}", counts, allow_empty=name.endswith("minus"))
            for name in ("numerator", "numerator_minus", "denominator")
        }
        cap = block["cap"]
        if not isinstance(cap, bool):
            raise RubricDataError(f"{where}.cap must be true or false")
        zero = block["if_denominator_zero"]
        if isinstance(zero, bool) or zero not in (0, 1):
            raise RubricDataError(f"{where}.if_denominator_zero must be 0 or 1")
        percent[item_id] = PercentMapping(
            counts,
            terms["numerator"],
            terms["numerator_minus"],
            terms["denominator"],
            cap,
            zero,
        )
    return PortalrbMapping(items, percent)


def soal_ids_of(item_id: str) -> tuple[int, ...]:
    """PortalRB's soal id(s) of a 90/2021 item, from the shipped mapping."""
    return load_mapping().soal_ids_of(item_id)


# --------------------------------------------------------------------------- the master list


@functools.cache
def load_master() -> dict[str, Any]:
    """The shipped master list (cached; read-only), decimals parsed as Decimal."""
    return parse_master(_data(MASTER_FILE))


def parse_master(raw: bytes) -> dict[str, Any]:
    """A master list's JSON, with its decimals as Decimal so no weight passes through float."""
    try:
        master = json.loads(raw, parse_float=Decimal)
    except ValueError as exc:
        raise RubricDataError(f"master list: not valid JSON: {exc}") from exc
    return _mapping(master, "master list")


def soal_index(master: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Soal id -> the soal's fields plus ``path``, the names of the nodes above it."""
    return {
        soal["id"]: {**soal, "path": tuple(str(node.get("nama")) for node in nodes)}
        for soal, nodes in _soals(master)
    }


def master_to_tree(
    master: dict[str, Any], mapping: PortalrbMapping, rubric_id: str = RUBRIC_ID
) -> dict[str, Any]:
    """PortalRB's master list as a rubric tree of the same shape as our YAML files.

    Keys come from the 90/2021 item ids in ``mapping``; names, weights and texts from the
    master; each percentage's formula from the mapping (the master states it only in words).
    Raises :class:`RubricDataError` when the two do not cover each other exactly.
    """
    soals = list(_soals(master))
    for soal, _ in soals:
        jenis = soal.get("jenis_jawaban")
        if jenis not in JENIS_ANSWER_TYPES and jenis not in COUNT_JENIS:
            raise RubricDataError(f"soal {soal['id']}: unknown jenis_jawaban {jenis!r}")
    owners = mapping.owners()
    for soal, _ in soals:
        owner = owners.get(soal["id"])
        if soal["jenis_jawaban"] in COUNT_JENIS:
            if owner is None or owner[1] is None:
                raise RubricDataError(
                    f"soal {soal['id']} is a count ({soal.get('teks_pertanyaan')!r}) that no "
                    "formula in the mapping covers"
                )
        elif owner is None:
            raise RubricDataError(f"soal {soal['id']} is in the master list but not in the mapping")
        elif owner[1] is not None:
            raise RubricDataError(
                f"soal {soal['id']} ({soal['jenis_jawaban']}) is mapped as count {owner[1]!r} "
                f"of {owner[0]}, but it is not a count"
            )
    missing = sorted(set(owners) - {soal["id"] for soal, _ in soals})
    if missing:
        raise RubricDataError(f"the mapping names soal ids the master list lacks: {missing}")

    builder = _TreeBuilder(mapping)
    for soal, nodes in soals:
        builder.add(soal, nodes, owners[soal["id"]])
    tahun = master.get("tahun")
    return {
        "meta": {
            "id": rubric_id,
            "title": f"Lembar Kerja Evaluasi (LKE) Zona Integritas {tahun} - master soal PortalRB",
            "format": "portalrb-master",
            "base": BASE_RUBRIC_ID,
            "tahun": tahun,
            "source": {
                "system": "PortalRB (KemenPANRB)",
                "generated_at": master.get("generated_at"),
                "total_soal": len(soals),
            },
        },
        "components": builder.components(),
    }


# --------------------------------------------------------------------------- helpers


class _TreeBuilder:
    """Grows the rubric tree soal by soal, in the master's order."""

    def __init__(self, mapping: PortalrbMapping) -> None:
        self.mapping = mapping
        self.nodes: dict[tuple[str, ...], dict[str, Any]] = {}  # key path -> tree node
        self.sources: dict[tuple[str, ...], int] = {}  # key path -> id() of its master node
        self.keys: dict[tuple[int, int], tuple[str, ...]] = {}  # (id(), depth) -> key path
        self.items: dict[str, dict[str, Any]] = {}
        self.places: dict[str, tuple[int, int | None]] = {}  # percent item -> its nodes' id()
        self.roots: list[dict[str, Any]] = []

    def components(self) -> list[dict[str, Any]]:
        return self.roots

    def add(
        self, soal: dict[str, Any], nodes: tuple[dict[str, Any], ...], owner: tuple[str, str | None]
    ) -> None:
        item_id, count_key = owner
        aspect_key, area_key, indicator_key, item_key = item_id.split(".")
        where = f"soal {soal['id']}"
        levels = [node.get("level") for node in nodes]
        nested: dict[str, Any] | None = None
        if levels == ["komponen", "sub_komponen"]:
            # Hasil: PortalRB has no areas or indicators here. Its component is our single
            # aspect, its sub-components our areas, and each question is its own indicator.
            aspect_node, area_node, indicator_node = nodes[0], nodes[1], soal
            indicator_name = str(soal.get("teks_pertanyaan"))
        elif levels[:4] == ["komponen", "sub_komponen", "area_perubahan", "sub_area"] and (
            levels[4:] in ([], ["sub_area"])
        ):
            aspect_node, area_node, indicator_node = nodes[1], nodes[2], nodes[3]
            indicator_name = _name(nodes[3])
            nested = nodes[4] if len(nodes) == 5 else None
        else:
            raise RubricDataError(f"{where}: unexpected place in the master tree: {levels}")

        component_key = _name(nodes[0]).lower()
        if component_key not in _COMPONENT_KEYS:
            raise RubricDataError(f"{where}: unknown komponen {nodes[0].get('nama')!r}")
        path = (component_key, aspect_key, area_key, indicator_key)
        component = self._node(path[:1], nodes[0], where, self.roots, "aspects", _name(nodes[0]))
        aspect = self._node(
            path[:2], aspect_node, where, component["aspects"], "areas", _name(aspect_node)
        )
        area = self._node(
            path[:3], area_node, where, aspect["areas"], "indicators", _name(area_node)
        )
        indicator = self._node(
            path, indicator_node, where, area["indicators"], "items", indicator_name
        )
        place = (id(indicator_node), None if nested is None else id(nested))

        if count_key is None:
            if item_id in self.items:
                raise RubricDataError(f"{where}: item {item_id} is mapped to two soal")
            item = self._question(soal, item_id, item_key, where)
        elif item_id in self.items:
            if self.places[item_id] != place:
                raise RubricDataError(f"{where}: the counts of {item_id} sit under different nodes")
            self.items[item_id]["inputs"].append(_input(soal, count_key))
            return
        else:
            item = self._percent(soal, nested, item_id, item_key, count_key)
            self.places[item_id] = place
        if nested is not None:
            item["sub_indicator"] = _name(nested)
            item["weight"] = _weight(nested, where)
        self.items[item_id] = item
        indicator["items"].append(item)

    def _node(
        self,
        path: tuple[str, ...],
        source: dict[str, Any],
        where: str,
        siblings: list[dict[str, Any]],
        children: str,
        name: str,
    ) -> dict[str, Any]:
        """The tree node at ``path``; one master node may not take two keys, nor two one key."""
        known = self.keys.setdefault((id(source), len(path)), path)
        if known != path:
            raise RubricDataError(
                f"{where}: PortalRB node {source.get('nama')!r} is mapped to both "
                f"{'.'.join(known)} and {'.'.join(path)}"
            )
        if self.sources.setdefault(path, id(source)) != id(source):
            raise RubricDataError(f"{where}: key {'.'.join(path)} given to two PortalRB nodes")
        if path not in self.nodes:
            weight = _weight(source, where)
            node = {"key": path[-1], "name": name, "weight": weight, children: []}
            self.nodes[path] = node
            siblings.append(node)
        return self.nodes[path]

    def _question(
        self, soal: dict[str, Any], item_id: str, item_key: str, where: str
    ) -> dict[str, Any]:
        answer_type = JENIS_ANSWER_TYPES[soal["jenis_jawaban"]]
        item: dict[str, Any] = {
            "id": item_id,
            "key": item_key,
            "question": soal.get("teks_pertanyaan"),
            "answer_type": answer_type,
        }
        options, values = _options(soal.get("skema_penilaian"), answer_type, where)
        if answer_type == "survey_index":
            item["scale"] = {"min": 0, "max": 4}
        else:
            item["options"], item["option_values"] = options, values
        item.update(
            explanation=soal.get("kriteria_nilai"),
            soal_id=soal["id"],
            excel_row=soal.get("excel_baris"),
        )
        return item

    def _percent(
        self,
        soal: dict[str, Any],
        nested: dict[str, Any] | None,
        item_id: str,
        item_key: str,
        count_key: str,
    ) -> dict[str, Any]:
        criteria = str(soal.get("kriteria_nilai") or "").replace("\r\n", "\n")
        # The counts share a kriteria_nilai whose first line names the percentage. Under a
        # nested sub_area (LHKPN, LHKASN) it only cites the laws, so the node's name serves.
        question = _name(nested) if nested is not None else criteria.split("\n", 1)[0].strip()
        return {
            "id": item_id,
            "key": item_key,
            "question": question,
            "answer_type": "percent",
            "explanation": soal.get("kriteria_nilai"),
            "inputs": [_input(soal, count_key)],
            "formula": self.mapping.percent[item_id].formula(),
        }


def _input(soal: dict[str, Any], count_key: str) -> dict[str, Any]:
    return {
        "key": count_key,
        "label": soal.get("teks_pertanyaan"),
        "soal_id": soal["id"],
        "excel_row": soal.get("excel_baris"),
    }


def _soals(master: dict[str, Any]) -> Iterator[tuple[dict[str, Any], tuple[dict[str, Any], ...]]]:
    """Every soal with the nodes above it, in the master's order; ids checked unique."""
    master = _mapping(master, "master list")
    seen: set[int] = set()
    count = 0

    def walk(
        node: object, above: tuple[dict[str, Any], ...]
    ) -> Iterator[tuple[dict[str, Any], tuple[dict[str, Any], ...]]]:
        node = _mapping(node, f"node under {[n.get('nama') for n in above]}")
        path = (*above, node)
        for soal in _list(node.get("soals", []), f"{node.get('nama')!r}.soals"):
            soal = _mapping(soal, f"a soal of {node.get('nama')!r}")
            soal_id = soal.get("id")
            if isinstance(soal_id, bool) or not isinstance(soal_id, int):
                raise RubricDataError(f"a soal of {node.get('nama')!r} has no integer id")
            if soal_id in seen:
                raise RubricDataError(f"soal {soal_id} appears twice in the master list")
            seen.add(soal_id)
            yield soal, path
        for child in _list(node.get("children", []), f"{node.get('nama')!r}.children"):
            yield from walk(child, path)

    for top in _list(master.get("data"), "master list data"):
        for pair in walk(top, ()):
            count += 1
            yield pair
    total = master.get("total_soal")
    if total is not None and total != count:
        raise RubricDataError(f"master list: total_soal is {total!r} but it holds {count} soal")


def _options(skema: object, answer_type: str, where: str) -> tuple[dict[str, Any], dict[str, str]]:
    """PortalRB's skema_penilaian as ``options`` and ``option_values`` (decimal strings)."""
    entries = [_mapping(e, f"{where}.skema_penilaian") for e in _list(skema, f"{where}.skema")]
    keys = tuple(e.get("key") for e in entries)
    if keys != _OPTION_KEYS[answer_type]:
        raise RubricDataError(f"{where}: options {list(keys)} do not fit {answer_type}")
    values: dict[str, str] = {}
    for entry in entries:
        value = _decimal(entry.get("multiplier"), f"{where}.skema_penilaian.{entry['key']}")
        if not 0 <= value <= 1:
            raise RubricDataError(f"{where}: multiplier of {entry['key']} is outside 0..1")
        values[entry["key"]] = str(value)
    return {e["key"]: e.get("label") for e in entries}, values


def _name(node: dict[str, Any]) -> str:
    """A node's name without its printed enumerator ("1. MANAJEMEN" -> "MANAJEMEN")."""
    name = str(node.get("nama") or "")
    match = _ENUMERATOR.match(name)
    return match.group(2).strip() if match else name.strip()


def _weight(node: dict[str, Any], where: str) -> Decimal:
    return _decimal(node.get("bobot_maksimal"), f"{where}: bobot_maksimal of {node.get('nama')!r}")


def _decimal(value: object, where: str) -> Decimal:
    """A JSON number as Decimal, via its string form."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise RubricDataError(f"{where}: expected a number, got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:  # pragma: no cover - str() of a number always parses
        raise RubricDataError(f"{where}: expected a number, got {value!r}") from exc
    if not number.is_finite() or number < 0:
        raise RubricDataError(f"{where}: expected a finite non-negative number, got {value!r}")
    return number


def _item_id(item_id: object, where: str) -> str:
    if not isinstance(item_id, str) or len(item_id.split(".")) != 4 or "" in item_id.split("."):
        raise RubricDataError(f"{where}: {item_id!r} is not an item id <aspect>.<area>.<ind>.<key>")
    return item_id


def _keys(
    value: object, where: str, counts: dict[str, int], *, allow_empty: bool
) -> tuple[str, ...]:
    keys = tuple(_list(value, where))
    if not keys and not allow_empty:
        raise RubricDataError(f"{where} is empty")
    unknown = [k for k in keys if k not in counts]
    if unknown:
        raise RubricDataError(f"{where}: {unknown} are not among the counts {sorted(counts)}")
    if len(set(keys)) != len(keys):
        raise RubricDataError(f"{where}: a count appears twice")
    return keys


def _data(name: str) -> bytes:
    return (resources.files("workflow.lke") / "data" / name).read_bytes()
