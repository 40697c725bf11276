"""CI: the wheel, installed in a fresh virtual environment outside the checkout, must work.

Builds the wheel from the files git tracks (no stale ``build/``), installs it in a new venv in
a temporary directory, and from another empty directory runs ``zi --version``,
``zi db upgrade``, ``zi check``, ``zi demo``, a 90/2021 request and the pages' files through
the app. Any missing file (a migration, a rubric, a template, a catalog) fails here loudly, as
it would on a server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
REQUEST = r"""
import json, sys
import api
from api import create_app
exports = dict(line.split("  #")[0].removeprefix("export ").split("=", 1)
               for line in sys.stdin.read().splitlines() if line.startswith("export"))
assert "site-packages" in api.__file__, api.__file__
app = create_app()
client = app.test_client()
auth = {"Authorization": "Bearer " + exports["ZI_COORDINATOR_TOKEN"]}
balai = int(exports["ZI_CASE"]) + 1  # the demo's second case is the 90/2021 one
case = client.get(f"/api/v1/cases/{balai}", headers=auth)
assert case.status_code == 200, (case.status_code, case.get_data(as_text=True))
assert case.json["regulation"] == "permenpanrb-90-2021", case.json
rubric = client.get("/api/v1/rubrics/permenpanrb-90-2021", headers=auth)
assert rubric.status_code == 200, (rubric.status_code, rubric.get_data(as_text=True))
from workflow.guards import proposal_rules
assert proposal_rules(), "proposal-conditions.yaml is empty"
# the pages: templates, static files, English catalogs and Swagger UI's files ship too
page = client.get("/masuk")
assert page.status_code == 200 and "Masuk" in page.get_data(as_text=True), page.status_code
for path in ("/static/zi.css", "/static/htmx-2.0.4.min.js", "/api/docs",
             "/api/docs/ui/swagger-ui-bundle.js"):
    served = client.get(path)
    assert served.status_code == 200, (path, served.status_code)
from pathlib import Path
from web.session import translation_directories
catalogs = [Path(d) / "en" / "LC_MESSAGES" / "messages.mo" for d in translation_directories()]
assert catalogs and all(path.is_file() for path in catalogs), catalogs
print("90/2021 case", case.json["id"], case.json["state"], "triggers:",
      json.dumps(case.json.get("available_transitions", case.json.get("triggers")))[:200])
"""


def run(*args: str | Path, cwd: Path, env: dict[str, str], stdin: str | None = None) -> str:
    print("$", " ".join(str(a) for a in args)[:120], flush=True)
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, input=stdin,
                            capture_output=True, text=True)
    sys.stdout.write(result.stdout[-3000:])
    if result.returncode != 0:
        sys.stderr.write(result.stderr[-5000:])
        raise SystemExit(f"wheel check FAILED: {args[0]} {args[1] if len(args) > 1 else ''} "
                         f"exited {result.returncode}")
    return result.stdout


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="zi-wheel-") as temp:
        root = Path(temp)
        source, dist, venv, work = (root / name for name in ("src", "dist", "venv", "work"))
        files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"],
                               cwd=CHECKOUT, capture_output=True, check=True).stdout
        for name in filter(None, files.decode().split("\0")):
            if (CHECKOUT / name).is_file():
                (source / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(CHECKOUT / name, source / name)
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("ZI_", "SMTP_", "VIRTUAL_ENV", "PYTHON"))
               and key not in ("DATABASE_URL", "MAIL_FROM")}
        run(sys.executable, "-m", "build", "--wheel", "--outdir", dist, source,
            cwd=root, env=env)
        wheel = next(dist.glob("*.whl"))
        run(sys.executable, "-m", "venv", venv, cwd=root, env=env)
        run(venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheel,
            cwd=root, env=env)
        work.mkdir()
        zi = venv / "bin" / "zi"
        env["ZI_INSTANCE_PATH"] = str(work / "instance")
        run(zi, "--version", cwd=work, env=env)
        run(zi, "db", "upgrade", cwd=work, env=env)
        run(zi, "check", cwd=work, env=env)
        exports = run(zi, "demo", cwd=work, env=env)
        run(venv / "bin" / "python", "-c", REQUEST, cwd=work, env=env, stdin=exports)
        print("wheel check OK:", wheel.name)


if __name__ == "__main__":
    main()
