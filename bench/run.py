"""Run the benchmarks: ``python -m bench.run [--quick] [--only NAME…]``.

Each module measures the service beside its baseline on a throwaway PostgreSQL database
(``BENCH_DATABASE_URL`` names the server) and returns :class:`bench.harness.Result` rows;
this prints them as a table and as ``bench NAME value=V goal=G better=…`` lines.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from bench.harness import FULL, QUICK, Result, report, throwaway_databases

MODULES = ("transitions", "http_transitions", "explain", "email", "sweep", "dashboard", "memory")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (CI: < 2 minutes)")
    parser.add_argument("--only", nargs="*", choices=MODULES, default=list(MODULES))
    args = parser.parse_args(argv)
    size = QUICK if args.quick else FULL
    results: list[Result] = []
    with throwaway_databases() as new_database:
        for name in args.only:
            module = importlib.import_module(f"bench.{name}")
            results += module.run(new_database(name), size)
    report(results, size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
