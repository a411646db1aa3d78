"""``jcrnet mutants``: the parity tests against the catalogue of porting bugs, each catch told apart (numeric,
structural, load/build error, crash); exit 1 if one survives or only crashes. ``--sweep``: every mutant on every
weights family, judged by ``jcrnet verify``'s engine."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from jcrnet_kit.errors import KitError
from jcrnet_kit.mutants.catalogue import CATALOGUE


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("mutants", help="run the parity tests against a catalogue of porting bugs")
    p.add_argument("--json", type=Path, default=None, help="write the results here")
    p.add_argument("--force", action="store_true", help="overwrite an existing --json file")
    p.add_argument("--only", default=None, help="comma-separated mutant names (default: all)")
    p.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    p.add_argument("--list", action="store_true", help="list the catalogue and exit")
    p.add_argument("--sweep", action="store_true",
                   help="every mutant on every weights family and preset (jcrnet verify's engine) instead of the tests")
    p.add_argument("--families", default=None,
                   help="with --sweep: comma-separated preset:family pairs (default: all, e.g. published:seeded)")
    p.set_defaults(func=run)


def _names(args) -> list:
    names = list(CATALOGUE) if not args.only else [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in CATALOGUE]
    if unknown:
        raise KitError(f"--only: unknown mutant(s) {', '.join(unknown)}; see jcrnet mutants --list")
    return names


def run(args: argparse.Namespace) -> int:
    if args.list:
        for mutant in CATALOGUE.values():
            print(f"{mutant.name:<34} {mutant.bug}")
        return 0
    if args.jobs < 1:
        raise KitError(f"--jobs {args.jobs}: must be at least 1")
    if args.json is not None and args.json.exists() and not args.force:
        raise KitError(f"{args.json}: already exists; pass --force to overwrite it")
    names = _names(args)
    rows, failed = (_sweep(args, names) if args.sweep else _suite(args, names))
    if args.json is not None and not args.sweep:  # the sweep writes its own, after every outcome
        from convert.atomic import write_text

        write_text(args.json, json.dumps(rows, indent=2), force=args.force)
        print(f"wrote {args.json}")
    return 1 if failed else 0


def _suite(args, names):
    from jcrnet_kit.mutants.runner import SUITE, how_caught, run_catalogue, suite_tests

    print(f"jcrnet mutants: {len(names)} porting bugs, each against {len(suite_tests())} tests "
          f"({'; '.join(s.split('/')[-1] for s in SUITE)}), {args.jobs} at a time")
    baseline, results = run_catalogue(names, args.jobs)
    if baseline["failed"] or baseline["crash"]:
        raise KitError(f"the unmutated suite fails ({baseline['crash'] or ', '.join(baseline['failed'][:3])}); "
                       f"fix that first")
    print(f"unmutated suite passes ({baseline['seconds']} s)")
    rows = []
    for name in names:
        result, mutant = results[name], CATALOGUE[name]
        how = how_caught(result)
        weak = bool(how) and how not in ("crash",) and mutant.numeric and how != "numeric"
        rows.append({"name": name, "bug": mutant.bug, "caught": how not in ("", "crash"), "how": how or "survived",
                     "expected_numeric": mutant.numeric, "caught_by": result["failed"], "by_kind": result["how"],
                     "crash": result["crash"], "seconds": result["seconds"]})
        first = result["failed"][0] if result["failed"] else (result["crash"] or "SURVIVED")
        more = f" (+{len(result['failed']) - 1} more)" if len(result["failed"]) > 1 else ""
        note = "  (a numeric bug caught only by an exception)" if weak else ""
        print(f"{how or 'SURVIVED':<17} {name:<34} {first}{more}{note}")
    counts = {kind: sum(row["how"] == kind for row in rows) for kind in
              ("numeric", "structural", "load/build error", "crash", "survived")}
    print(f"{sum(row['caught'] for row in rows)}/{len(rows)} mutants caught: " +
          ", ".join(f"{n} {kind}" for kind, n in counts.items()))
    return {"total": len(rows), "counts": counts, "suite": list(SUITE), "mutants": rows}, \
        counts["survived"] + counts["crash"] > 0


def _sweep(args, names):
    from jcrnet_kit.mutants import sweep

    pairs = sweep.family_names()
    if args.families:
        wanted = [tuple(p.strip().split(":", 1)) for p in args.families.split(",") if p.strip()]
        unknown = [":".join(p) for p in wanted if p not in pairs]
        if unknown:
            raise KitError(f"--families: unknown {', '.join(unknown)}; choose from "
                           f"{', '.join(':'.join(p) for p in pairs)}")
        pairs = wanted
    print(f"jcrnet mutants --sweep: {len(names)} porting bugs x {len(pairs)} weight families "
          f"({', '.join(':'.join(p) for p in pairs)}); input {sweep.INPUT} {'x'.join(map(str, sweep.SHAPE))}")

    from jcrnet_kit.provenance import revision as source_revision

    revision, done = source_revision(), []

    def save(complete: bool, extra: dict) -> None:
        """The JSON after every outcome (``complete`` false until the end), so a sweep cut short keeps its outcomes."""
        if args.json is not None:
            from convert.atomic import write_text

            write_text(args.json, json.dumps({"revision": revision, "families": [":".join(p) for p in pairs],
                                              "mutants": names,
                                              "complete": complete, **extra,
                                              "outcomes": [o.as_dict() for o in done]}, indent=2), force=True)

    def show(o) -> None:
        done.append(o)
        print(f"{o.result:<9} {o.mutant:<34} {o.preset}:{o.family:<13} {o.detail[:110]}", flush=True)
        save(False, {})

    from tqdm import tqdm

    with tqdm(total=0, bar_format="{desc} [{elapsed}]", file=sys.stderr, disable=None, leave=False) as bar:
        outcomes = sweep.run(names, pairs, show, lambda text: bar.set_description_str(text[:100], refresh=True))
    table = sweep.summary(outcomes)
    print(f"\n{'mutant':<34} {'numeric':>8} {'error':>6} {'survived':>9} {'n/a':>5} {'clean fails':>12}")
    failed = False
    for name, counts in table.items():
        applicable = sum(counts.values()) - counts[sweep.NOT_APPLICABLE]
        short = CATALOGUE[name].numeric and counts[sweep.NUMERIC] < applicable
        failed |= short or counts[sweep.SURVIVED] > 0 and CATALOGUE[name].numeric or counts[sweep.UNCLEAN] > 0
        print(f"{name:<34} {counts[sweep.NUMERIC]:>8} {counts[sweep.ERROR]:>6} {counts[sweep.SURVIVED]:>9} "
              f"{counts[sweep.NOT_APPLICABLE]:>5} {counts[sweep.UNCLEAN]:>12}" +
              ("  <-- not caught numerically everywhere it applies" if short else ""))
    unclean = sorted({f"{o.preset}:{o.family}" for o in outcomes if o.result == sweep.UNCLEAN})
    if unclean:
        print(f"the unmutated port fails on {', '.join(unclean)}: no mutant is judged there (a false FAIL to fix)")
    save(True, {"summary": table})
    if args.json is not None:
        print(f"wrote {args.json}")
    return {"summary": table}, failed
