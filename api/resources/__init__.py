"""One blueprint per resource; each handler loads, calls a use case, returns."""

from api.resources import cases, duties, instansi, rubrics, units, workflow

BLUEPRINTS = (instansi.blp, units.blp, cases.blp, rubrics.blp, workflow.blp, duties.blp,
              duties.dashboard_blp)
