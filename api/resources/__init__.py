"""One blueprint per resource; each handler loads, calls a use case, returns."""

from api.resources import (
    cases,
    duties,
    evidence,
    instansi,
    outbox,
    rubrics,
    units,
    users,
    workflow,
    worksheets,
)

BLUEPRINTS = (instansi.blp, units.blp, cases.blp, worksheets.blp, evidence.blp, rubrics.blp,
              workflow.blp,
              duties.blp,
              duties.dashboard_blp, users.blp, outbox.blp)
