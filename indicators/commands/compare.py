"""``indicators compare A B -o OUT``: two configurations (national vs default data) run and set side by side."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from ..report.i18n import DEFAULT_LANGUAGE, LANGUAGES

EPILOG = """\
examples:
  indicators compare national.yaml default.yaml -o comparison
  indicators compare national.yaml default.yaml -o comparison --names national "ESA CCI"

OUT holds A/ and B/ (each a complete run), and comparison/: every table both runs wrote with A, B, B-A and
B-A % per figure, land_cover_crosstab.csv (km2 per class A x class B per year, inside the boundary),
land_cover_agreement.csv (overall and per-class agreement, national and per admin unit), sdg_crosstab.csv
(km2 per SDG 15.3.1 status of A x status of B per period, on the land of A or B), verdict.csv (one line per
indicator), maps/ (land_cover_agreement_<year>.tif: 1 same class, 0 different, 255 no data;
sdg_cross_classification_<period>.tif: A x B status, 1-9, 0 no data; COGs with class names and QGIS styles,
and a PNG of each) and comparison.html (verdicts, agreement tables and maps, differences per table; offline).
Each run's report.html has a "National vs default data" section: the verdicts, the national land-cover
agreement and a link to comparison.html.
The verdicts screen; the decision to validate, replace or reject the default data (decision 11/COP.14) rests
with the country.

exit status: 0 done; 2 a problem with a configuration, an input or the output location (nothing written).
"""


#: comparison.html as each run's report.html (OUT/A/report.html, OUT/B/report.html) links it
COMPARISON_LINK = "../comparison/comparison.html"


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
    parser.add_argument("--language", metavar="LANG", default=DEFAULT_LANGUAGE, choices=LANGUAGES,
                        help=f"language of comparison.html and of the runs' reports: {', '.join(LANGUAGES)} (default {DEFAULT_LANGUAGE})")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter


def _refuse_other_periods(args: argparse.Namespace, fa, fb) -> None:
    """The two runs are compared period by period: they must report the same edition's periods with the same
    years, or a figure of one period would be set beside another's."""
    from ..errors import InputError

    def periods(fw) -> dict[str, tuple[int, int]]:
        return {p.id: tuple(p.years) for p in fw.periods()}

    pa, pb = periods(fa), periods(fb)
    if pa != pb:
        differ = sorted(k for k in pa.keys() | pb.keys() if pa.get(k) != pb.get(k))
        shown = "; ".join(f"{k}: {pa.get(k, 'none')} in A, {pb.get(k, 'none')} in B" for k in differ)
        raise InputError(f"{args.config_a} and {args.config_b} report different periods ({shown}); compare two "
                         "configurations of the same edition and periods (edition:, edition_overrides)")


def run(args: argparse.Namespace) -> int:
    from ..config.loading import load_config
    from ..config.paths import input_locations
    from ..report.atomic import check_output_dir, check_output_location, run_staging

    a, b = load_config(args.config_a), load_config(args.config_b)
    # never onto, around or among either run's inputs (the check `indicators run` makes), before anything else
    check_output_location(args.output, input_locations(a) + input_locations(b))
    check_output_dir(args.output, overwrite=args.overwrite)
    # as `indicators run`: one command per output (lock), stale staging of killed ones removed, scratch files in a
    # marked staging directory beside the output, removed on any exit
    with run_staging(args.output, "indicators compare"):
        return _compare(args, a, b)


def _compare(args: argparse.Namespace, a, b) -> int:
    """The comparison itself, with the output locked (:func:`run`)."""
    from .comparison import compare_outputs, land_cover_7class_of, land_cover_agreement, verdict_table
    from .comparison_write import write_comparison_maps
    from ..io import read_polygons
    from ..report.atomic import atomic_output_dir
    from ..report.comparison_page import render_comparison, report_section
    from ..report.page import write_report
    from ..report.tables import write_csv
    from ..report.i18n import report_language
    from ..engine import prepare, run_to_directory

    # every problem of either configuration before anything is computed
    fa, fb = (prepare(loaded).framework for loaded in (a, b))
    _refuse_other_periods(args, fa, fb)
    language = getattr(args, "language", DEFAULT_LANGUAGE)
    with atomic_output_dir(args.output, overwrite=args.overwrite) as tmp, report_language(language):
        # each run's report.html is rendered below, once the comparison its section shows is computed
        results = {"A": run_to_directory(a, tmp / "A", quiet=True, report=False),
                   "B": run_to_directory(b, tmp / "B", quiet=True, report=False)}
        tables = compare_outputs(tmp / "A", tmp / "B")
        agreement = cross = maps = None
        cmp_dir = tmp / "comparison"
        cmp_dir.mkdir()
        if "land_cover" in a.config.inputs and "land_cover" in b.config.inputs:
            lca, lcb = land_cover_7class_of(a), land_cover_7class_of(b)
            c = a.config.country
            boundary = read_polygons(a.resolve(c.boundary))
            admin = (read_polygons(a.resolve(c.admin_units.path), id_field=c.admin_units.id_field,
                                   layer=c.admin_units.layer) if c.admin_units else None)
            cross, agreement = land_cover_agreement(lca, lcb, boundary, admin, admin.attrs["id_field"] if admin is not None else None)
            write_csv(cross, cmp_dir / "land_cover_crosstab.csv")
            write_csv(agreement, cmp_dir / "land_cover_agreement.csv")
            maps = write_comparison_maps(a, b, lca, lcb, tmp / "A", tmp / "B", cmp_dir, boundary, admin, language=language)
        verdict = verdict_table(tables, agreement, consistent=args.consistent, review=args.review,
                                lc_agreement=args.lc_agreement)
        write_csv(verdict, cmp_dir / "verdict.csv")
        for key, t in tables.items():
            p = cmp_dir / key
            p.parent.mkdir(parents=True, exist_ok=True)
            write_csv(t, p)
        page = render_comparison(args.names, verdict, agreement, cross, maps.sdg_crosstab if maps else None,
                                 maps.maps if maps else (), tables, language=language)
        (cmp_dir / "comparison.html").write_text(page, encoding="utf-8")
        for run, result in results.items():
            section = report_section(args.names, run, verdict, agreement, COMPARISON_LINK, language=language)
            write_report(dataclasses.replace(result, rasters=result.report_rasters or []), tmp / run / "report.html",
                         language=language, comparison=section)
    if not args.quiet:
        print(f"wrote {args.output}: {len(tables)} table(s) compared; verdicts in "
              f"{Path(args.output) / 'comparison' / 'verdict.csv'}", file=sys.stderr)
        print(verdict[["indicator", "max_relative_difference_percent", "verdict"]].to_string(index=False), file=sys.stderr)
    return 0
