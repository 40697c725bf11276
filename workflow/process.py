"""What a long-running ZI Workflow process does once it is ready to work."""

from __future__ import annotations

import gc


def settle() -> None:
    """Once the app is built: what start-up made (modules, the app, compiled rubrics and
    statements) lives as long as the process, so move it out of the cyclic collector's way.
    Otherwise every full collection walks it all again: about 5 % of a transition's CPU
    (issue 11). Garbage made later is collected as before."""
    gc.collect()
    gc.freeze()
