"""Checks across the fields of the parameter blocks (rule ``parameters``)."""

from __future__ import annotations

from .context import CheckContext, item_ids


def check_blocks(ctx: CheckContext) -> None:
    fw = ctx.fw
    spi = fw.blocks.spi
    if spi is not None and spi.calibration[0] >= spi.calibration[1]:
        ctx.add(("blocks", "spi", "calibration"), f"calibration window {list(spi.calibration)} is reversed or empty",
                "write [first, last] with first < last (e.g. [1981, 2010])", "parameters")
    cb = fw.blocks.counterbalancing
    if cb is not None and cb.legend in item_ids(fw, "legend"):
        codes = set(fw.legend(cb.legend).codes())
        sets = {"gains": cb.gains, "losses": cb.losses, "neutral": cb.neutral}
        listed = [c for v in sets.values() for c in v]
        if sorted(listed) != sorted(codes):
            ctx.add(("blocks", "counterbalancing"), f"gains, losses and neutral {sets} do not split the classes {sorted(codes)} of {cb.legend!r} exactly once",
                    "list every status class in exactly one set", "parameters")
    st = fw.blocks.status
    if st is not None and st.legend in item_ids(fw, "legend") and st.matrix in item_ids(fw, "lookup_table"):
        out_legends = {o.legend for o in fw.lookup_table(st.matrix).outputs}
        if st.legend not in out_legends:
            ctx.add(("blocks", "status", "legend"), f"status legend {st.legend!r} is not the output legend of {st.matrix!r}",
                    f"use {sorted(out_legends)}", "parameters")
    ranges = [(("blocks", "series", "percent_range"), fw.blocks.series and fw.blocks.series.percent_range),
              (("blocks", "red_list", "value_range"), fw.blocks.red_list and fw.blocks.red_list.value_range)]
    for loc, rng in ranges:
        if rng and not rng[0] < rng[1]:
            ctx.add(loc, f"range {list(rng)} is not ordered (lowest first, and lowest < highest)",
                    f"write [{min(rng)}, {max(rng)}]" if rng[0] != rng[1] else "give two different values", "parameters")
    lc = fw.blocks.land_cover
    if lc is not None and lc.legend in item_ids(fw, "legend") and lc.water_class not in fw.legend(lc.legend).codes():
        ctx.add(("blocks", "land_cover", "water_class"), f"water class {lc.water_class} is not in legend {lc.legend!r}", "use the code of 'Water bodies'", "parameters")
