"""The state diagram as an inline SVG, drawn on the server from the process table
(``workflow.machine.STATES`` and ``TRANSITIONS``): nothing loaded from elsewhere.

The states stand in one column, in the table's order. A transition to the next state is an
arrow down with its trigger beside it; one back to an earlier state (a return) runs in a lane
on the right; one skipping ahead (a withdrawal from several states) joins a lane on the left
that ends in its destination. The current state is filled. About 460 px wide: the page
scrolls it sideways on a narrow screen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from workflow.machine import INITIAL_STATE, STATES, TRANSITIONS, TransitionSpec

LEFT, BOX_W, BOX_H, PITCH, TOP = 70, 170, 44, 84, 44
LABEL_SPACE = 165  # between the boxes and the first return lane: a trigger's words
LANE_GAP, BUS_GAP = 16, 16
FONT = 12


@dataclass(frozen=True)
class Edge:
    source: str
    dest: str
    trigger: str


def edges(transitions: Sequence[TransitionSpec] = TRANSITIONS) -> list[Edge]:
    return [Edge(source, spec.dest, spec.trigger)
            for spec in transitions for source in spec.sources]


def _top(row: int) -> int:
    return TOP + row * PITCH


def _mid(row: int) -> int:
    return _top(row) + BOX_H // 2


def state_diagram(current: str | None, state_label: Callable[[str], str],
                  trigger_label: Callable[[str], str], title: str,
                  states: Sequence[str] = STATES,
                  transitions: Sequence[TransitionSpec] = TRANSITIONS) -> Markup:
    row = {state: index for index, state in enumerate(states)}
    all_edges = edges(transitions)
    down = [e for e in all_edges if row[e.dest] == row[e.source] + 1]
    back = sorted((e for e in all_edges if row[e.dest] < row[e.source]),
                  key=lambda e: (row[e.source] - row[e.dest], row[e.source]))
    ahead = [e for e in all_edges if row[e.dest] > row[e.source] + 1]
    buses: dict[tuple[str, str], list[str]] = {}
    for edge in ahead:
        buses.setdefault((edge.trigger, edge.dest), []).append(edge.source)
    right = LEFT + BOX_W
    center = LEFT + BOX_W // 2
    width = right + LABEL_SPACE + LANE_GAP * (len(back) + 1)
    height = _top(len(states)) + 4
    left_margin = BUS_GAP * len(buses)
    parts: list[str] = []

    def text(x: int, y: int, words: str, extra: str = "") -> None:
        parts.append(f'<text x="{x}" y="{y}" font-size="{FONT}"{extra}>{escape(words)}</text>')

    # the start
    parts.append(f'<circle cx="{center}" cy="{TOP - 30}" r="6" fill="#1d2430"/>')
    first = _top(row[INITIAL_STATE]) - 2
    parts.append(f'<line x1="{center}" y1="{TOP - 24}" x2="{center}" y2="{first}" '
                 'stroke="#1d2430" marker-end="url(#arrow)"/>')
    for edge in down:
        top, bottom = _top(row[edge.source]) + BOX_H, _top(row[edge.dest])
        parts.append(f'<line x1="{center}" y1="{top}" x2="{center}" y2="{bottom - 2}" '
                     f'stroke="#1d2430" marker-end="url(#arrow)"/>')
        text(center + 8, (top + bottom) // 2 + 4, trigger_label(edge.trigger))
    entries: dict[str, int] = {}
    for lane, edge in reversed(list(enumerate(back))):  # outer lanes enter higher
        x = right + LABEL_SPACE + LANE_GAP * (lane + 1)
        entered = entries.get(edge.dest, 0)
        entries[edge.dest] = entered + 1
        y_in = _top(row[edge.dest]) + 10 + 16 * entered
        y_out = _mid(row[edge.source]) + 6
        parts.append(f'<path d="M{right} {y_out} H{x} V{y_in} H{right + 2}" fill="none" '
                     f'stroke="#8a5a00" marker-end="url(#arrow)"/>')
        text(right + 10, y_in - 3, trigger_label(edge.trigger), ' fill="#8a5a00"')
    for index, ((trigger, dest), sources) in enumerate(buses.items()):
        x = LEFT - 14 - BUS_GAP * index
        rows = [row[source] for source in sources]
        for source_row in rows:
            parts.append(f'<line x1="{LEFT}" y1="{_mid(source_row)}" x2="{x}" '
                         f'y2="{_mid(source_row)}" stroke="#5b6472"/>')
        top, end = _mid(min(rows)), _mid(row[dest])
        parts.append(f'<path d="M{x} {top} V{end} H{LEFT - 2}" fill="none" stroke="#5b6472" '
                     'marker-end="url(#arrow)"/>')
        middle = (_mid(max(rows)) + end) // 2
        text(x - 4, middle, trigger_label(trigger),
             f' fill="#5b6472" text-anchor="middle" transform="rotate(-90 {x - 4} {middle})"')
    for state in states:
        top = _top(row[state])
        now = state == current
        fill, ink = ("#8a1c1c", "#fff") if now else ("#fff", "#1d2430")
        current_mark = ' aria-current="step" class="current"' if now else ""
        parts.append(f'<g{current_mark}><rect x="{LEFT}" y="{top}" width="{BOX_W}" '
                     f'height="{BOX_H}" rx="8" fill="{fill}" stroke="#1d2430" '
                     f'stroke-width="{3 if now else 1}"/>')
        weight = ' font-weight="700"' if now else ""
        text(center, top + BOX_H // 2 + 4, state_label(state),
             f' text-anchor="middle" fill="{ink}"{weight}')
        parts.append("</g>")
    shift = max(0, left_margin - LEFT + 30)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="diagram-title" '
        f'width="{width + shift}" height="{height}" viewBox="{-shift} 0 {width + shift} {height}" '
        f'font-family="system-ui, sans-serif" class="diagram">'
        f'<title id="diagram-title">{escape(title)}</title>'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" '
        'fill="#1d2430"/></marker></defs>'
        + "".join(parts) + "</svg>")
