"""``indicators compare A B -o OUT``: two configurations (national vs default data) run and set side by side."""

from __future__ import annotations

import argparse
import html
import sys
from pathlib import Path

EPILOG = """\
examples:
  indicators compare national.yaml default.yaml -o comparison
  indicators compare national.yaml default.yaml -o comparison --names national "ESA CCI"

OUT holds A/ and B/ (each a complete run), and comparison/: every table both runs wrote with A, B, B-A and
B-A % per figure, land_cover_crosstab.csv (km2 per class A x class B per year, inside the boundary),
land_cover_agreement.csv (overall and per-class agreement, national and per admin unit), verdict.csv (one
line per indicator) and comparison.html. The verdicts screen; the decision to validate, replace or reject
the default data (decision 11/COP.14) rests with the country.

exit status: 0 done; 2 a problem with a configuration, an input or the output location (nothing written).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config_a", metavar="CONFIG_A", help="first run configuration (e.g. national data)")
    parser.add_argument("config_b", metavar="CONFIG_B", help="second run configuration (e.g. the default data)")
    parser.add_argument("-o", "--output", metavar="OUT", required=True, help="output directory, new or empty")
    parser.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    parser.add_argument("--names", nargs=2, metavar=("A", "B"), default=["national", "default"],
                        help="labels of the two sources (default: national default)")
    parser.add_argument("--consistent", type=float, default=5.0, metavar="PCT",
                        help="largest relative difference of a 'consistent' indicator (default 5)")
    parser.add_argument("--review", type=float, default=20.0, metavar="PCT",
                        help="largest relative difference of a 'review' indicator (default 20)")
    parser.add_argument("--lc-agreement", type=float, default=80.0, metavar="PCT",
                        help="smallest land-cover agreement of a 'consistent' land indicator (default 80)")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter


def _html(names, verdict, agreement, tables) -> str:
    parts = [f"<h1>{html.escape(names[0])} vs {html.escape(names[1])}</h1>",
             "<p>A = " + html.escape(names[0]) + ", B = " + html.escape(names[1]) +
             ". Screening verdicts for decision 11/COP.14 (validate, replace or reject the default data).</p>",
             "<h2>Verdicts</h2>", verdict.to_html(index=False, float_format=lambda v: f"{v:.2f}")]
    if agreement is not None:
        parts += ["<h2>Land-cover agreement</h2>", agreement.to_html(index=False, float_format=lambda v: f"{v:.2f}")]
    for key, t in tables.items():
        parts += [f"<h3>{html.escape(key)}</h3>", t.to_html(index=False, float_format=lambda v: f"{v:.4g}")]
    return ("<!doctype html><html><head><meta charset='utf-8'><title>comparison</title></head><body>"
            + "\n".join(parts) + "</body></html>")


def run(args: argparse.Namespace) -> int:
    from .comparison import compare_outputs, land_cover_7class_of, land_cover_agreement, verdict_table
    from ..config.loading import load_config
    from ..io import read_polygons
    from ..report.atomic import atomic_output_dir, check_output_dir
    from ..engine import prepare, run_to_directory

    a, b = load_config(args.config_a), load_config(args.config_b)
    for loaded in (a, b):  # every problem of either configuration before anything is computed
        prepare(loaded)
    check_output_dir(args.output, overwrite=args.overwrite)
    with atomic_output_dir(args.output, overwrite=args.overwrite) as tmp:
        run_to_directory(a, tmp / "A", quiet=True)
        run_to_directory(b, tmp / "B", quiet=True)
        tables = compare_outputs(tmp / "A", tmp / "B")
        agreement = None
        cmp_dir = tmp / "comparison"
        cmp_dir.mkdir()
        if "land_cover" in a.config.inputs and "land_cover" in b.config.inputs:
            lca, lcb = land_cover_7class_of(a), land_cover_7class_of(b)
            c = a.config.country
            boundary = read_polygons(a.resolve(c.boundary))
            admin = (read_polygons(a.resolve(c.admin_units.path), id_field=c.admin_units.id_field,
                                   layer=c.admin_units.layer) if c.admin_units else None)
            cross, agreement = land_cover_agreement(lca, lcb, boundary, admin, admin.attrs["id_field"] if admin is not None else None)
            cross.to_csv(cmp_dir / "land_cover_crosstab.csv", index=False)
            agreement.to_csv(cmp_dir / "land_cover_agreement.csv", index=False)
        verdict = verdict_table(tables, agreement, consistent=args.consistent, review=args.review,
                                lc_agreement=args.lc_agreement)
        verdict.to_csv(cmp_dir / "verdict.csv", index=False)
        for key, t in tables.items():
            p = cmp_dir / key
            p.parent.mkdir(parents=True, exist_ok=True)
            t.to_csv(p, index=False)
        (cmp_dir / "comparison.html").write_text(_html(args.names, verdict, agreement, tables), encoding="utf-8")
    if not args.quiet:
        print(f"wrote {args.output}: {len(tables)} table(s) compared; verdicts in "
              f"{Path(args.output) / 'comparison' / 'verdict.csv'}", file=sys.stderr)
        print(verdict[["indicator", "max_relative_difference_percent", "verdict"]].to_string(index=False), file=sys.stderr)
    return 0
