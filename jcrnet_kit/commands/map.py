"""``jcrnet map OUT.json``: the torch <-> MindSpore name map of a preset, as TroubleShooter's weight map
(``jcrnet_kit.name_map``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from jcrnet_spec import DEFAULT_PRESET, PRESETS


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "map", help="write the torch <-> MindSpore name map (TroubleShooter's weight-map JSON)",
        description="Write the full torch -> MindSpore parameter name map of a preset, derived from the spec's rules, "
                    "as the two-item JSON list MindSpore TroubleShooter's convert_weight loads: [{torch key: "
                    "MindSpore name}, {}]. Torch keys without a MindSpore counterpart have no entry; MindSpore-only "
                    "InstanceNorm statistics are keyed by their own name (see docs/PORTING_GUIDE.md, 'Coming from "
                    "TroubleShooter').")
    p.add_argument("out", type=Path, metavar="OUT.json", help="where to write the map")
    p.add_argument("--preset", choices=sorted(PRESETS), default=DEFAULT_PRESET,
                   help=f"the architecture preset (default: {DEFAULT_PRESET})")
    p.add_argument("--force", action="store_true", help="overwrite an existing OUT.json")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from convert.atomic import write_text
    from jcrnet_kit.gates import check_output_file
    from jcrnet_kit.name_map import name_map

    check_output_file(args.out, "OUT.json", args.force)
    mapping = name_map(args.preset)
    write_text(args.out, mapping.troubleshooter_json(), force=args.force)
    print(f"jcrnet map: wrote {args.out} (preset {args.preset!r})")
    for line in mapping.summary():
        print(f"  {line}")
    return 0
