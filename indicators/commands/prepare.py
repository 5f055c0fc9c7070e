"""``indicators prepare``: a country's inputs cut from global (or regional) dataset files, and a run configuration."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

EPILOG = """\
examples:
  indicators prepare --country Arvelia --boundary arvelia/boundary.gpkg \\
      --admin arvelia/admin.gpkg --admin-id unit_id --admin-name name \\
      --input land_cover:2000=esa_cci_lc_netcdf:global/ESACCI-LC-L4-LCCS-Map-300m-P1Y-2000-v2.0.7.nc \\
      --input land_cover:2015=esa_cci_lc_netcdf:global/ESACCI-LC-L4-LCCS-Map-300m-P1Y-2015-v2.0.7.nc \\
      --input lpd:baseline=jrc_lpd:global/lpd_2000_2015.tif \\
      --input soc_reference:2000=soilgrids_soc_0_30:global/ocs_0-30cm_mean.tif \\
      --input population_total:2020=gpw_v4_count:global/gpw_v4_population_count_2020.tif \\
      --input precipitation=chirps_monthly:global/chirps-v2.0.monthly.nc \\
      -o arvelia-inputs
  indicators prepare --country Arvelia --boundary arvelia/boundary.gpkg \\
      --input land_cover:2015=esa_cci_lc_netcdf:global/ESACCI-LC-L4-LCCS-Map-300m-P1Y-2015-v2.0.7.nc \\
      --input drought_index=gmid_spi:global/GMID_SPI_12.nc --drought-months 12 -o arvelia-gmid
  indicators run arvelia-inputs/run-config.yaml --check
  indicators prepare --check-dataset jrc_dvi dvi.tif      is this file the catalogue's dataset?

--input NAME[:YEAR|PERIOD]=DATASET:PATH: NAME is a run-configuration input (land_cover, lpd, soc_reference,
population_total/female/male, precipitation, pet, drought_index, dvi), DATASET an id of specs/datasets.yaml
(docs/default-data.md). Only the window around the boundary is read. The common grid is that of the first of
land_cover, population_total, lpd, ndvi, soc_reference given; classes are resampled nearest, population
preserving sums, stocks averaged; monthly series stay on their own grid (align: nearest).

OUT may not be, contain or lie inside a file prepare reads (an --input, the boundary, the admin units) nor the
folder holding one: write it beside the global files' folder (docs/decisions.md D27).

exit status: 0 done; 2 a problem with an argument, a file or the output location (nothing written).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--country", help="country name written in the run configuration")
    parser.add_argument("--iso3", help="ISO 3166 alpha-3 code")
    parser.add_argument("--boundary", metavar="FILE",
                        help="country boundary polygon(s); without it the extent of the grid input is used (warning)")
    parser.add_argument("--admin", metavar="FILE", help="admin units (polygons) for per-unit tables")
    parser.add_argument("--admin-id", metavar="FIELD", help="admin units' id field")
    parser.add_argument("--admin-name", metavar="FIELD", help="admin units' name field")
    parser.add_argument("--input", action="append", default=[], metavar="NAME[:KEY]=DATASET:PATH",
                        help="a dataset file for an input (repeat)")
    parser.add_argument("--climate-factor", type=float, metavar="F",
                        help="constant SOC climate factor (parameters soc.climate_factor) instead of a climate_zones input")
    parser.add_argument("--drought-months", type=int, metavar="N",
                        help="accumulation scale (months) of a drought index published per scale (gmid_spi, gmid_spei): "
                             "the file must be that scale (default: the manuals' December SPI-12, "
                             "indicators.datasets.drought_index.DEFAULT_ACCUMULATION_MONTHS)")
    parser.add_argument("--edition", help="reporting edition written in the configuration (e.g. 2026)")
    parser.add_argument("--profile", help="profile written in the configuration (e.g. trends_earth)")
    parser.add_argument("-o", "--output", metavar="OUT", help="output directory, new or empty (written atomically)")
    parser.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    parser.add_argument("--check-dataset", nargs=2, metavar=("DATASET", "FILE"),
                        help="only check that FILE has the structure of catalogue entry DATASET")
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter


def run(args: argparse.Namespace) -> int:
    import yaml

    from ..config.loading import load_config
    from ..datasets.prepare import dataset_summary, parse_input_argument, prepare_country
    from ..datasets.catalogue import dataset_entry
    from ..datasets.drought_index import open_drought_index
    from ..datasets.readers import open_dataset
    from ..errors import InputError
    from ..config.paths import read_file_locations
    from ..report.atomic import atomic_output_dir, check_output_dir, check_output_location
    from ..engine import prepare as check_run

    if args.check_dataset:
        dataset, file = args.check_dataset
        if dataset_entry(dataset).accumulation_months:  # a drought index: its scale and years too
            open_drought_index(dataset, file, months=_drought_months(args))
        else:
            open_dataset(dataset, file)
        print(f"{file}: has the structure of {dataset}", file=sys.stderr)
        return 0
    if not args.output:
        raise InputError("no output directory: give -o/--output OUT")
    if not args.country:
        raise InputError("no country name: give --country NAME (written in the run configuration)")
    inputs = [parse_input_argument(t) for t in args.input]
    # never onto, around or among what prepare reads (D27): the run's own check, before anything is read or written
    read = [(f"input {i.name}{'[' + i.key + ']' if i.key else ''}", i.path) for i in inputs]
    read += [(label, path) for label, path in (("the country boundary", args.boundary), ("the admin units", args.admin))
             if path]
    check_output_location(args.output, read_file_locations(read))
    check_output_dir(args.output, overwrite=args.overwrite)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        with atomic_output_dir(args.output, overwrite=args.overwrite) as tmp:
            cfg = prepare_country(inputs, tmp, country=args.country, iso3=args.iso3,
                                  boundary=Path(args.boundary) if args.boundary else None,
                                  admin=Path(args.admin) if args.admin else None, admin_id=args.admin_id,
                                  admin_name=args.admin_name, edition=args.edition, profile=args.profile,
                                  climate_factor=args.climate_factor, drought_months=_drought_months(args))
            header = ["Run configuration written by `indicators prepare` (paths relative to this file).",
                      "Datasets:"] + [f"  {line}" for line in dataset_summary(inputs)]
            text = "\n".join(f"# {h}" for h in header) + "\n" + yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True)
            (tmp / "run-config.yaml").write_text(text, encoding="utf-8")
            check_run(load_config(tmp / "run-config.yaml"))  # the run's own checks: what it refuses, prepare refuses
    for w in caught:
        if w.category is UserWarning:
            print(f"indicators: warning: {w.message}", file=sys.stderr)
    print(f"wrote {args.output}: {len(cfg['inputs'])} input(s); next: indicators run "
          f"{Path(args.output) / 'run-config.yaml'} -o RESULTS", file=sys.stderr)
    return 0


def _drought_months(args: argparse.Namespace) -> int:
    """The asked accumulation scale, else the reader's default (one home: the manuals' scale, D29)."""
    from ..datasets.drought_index import DEFAULT_ACCUMULATION_MONTHS

    return DEFAULT_ACCUMULATION_MONTHS if args.drought_months is None else args.drought_months
