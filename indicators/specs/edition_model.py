"""Spec models of the reporting editions and their periods (D2, D14)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base_model import EditionId, Identifier, Strict, Year, YearRange
from .table_model import TableDeclaration


class LandCoverYears(Strict):
    initial: Year
    final: Year


class ProductivityWindows(Strict):
    trajectory: YearRange
    state_baseline: YearRange
    state_comparison: YearRange
    performance: YearRange


class Period(Strict):
    id: Identifier
    label: str
    years: YearRange
    land_cover: LandCoverYears
    soc: LandCoverYears
    productivity: ProductivityWindows
    source: str


class PovertyLine(Strict):
    value: float = Field(gt=0)
    unit: str
    ppp_year: Year
    source: str


class DroughtYears(Strict):
    years: YearRange = Field(description="annual SO3-1/SO3-2 series")
    epoch_length: int = Field(ge=1, description="years per multi-year map (D7)")
    epochs: tuple[YearRange, ...]
    source: str


class Edition(Strict):
    id: EditionId
    title: str
    manual: str
    default: bool = False
    periods: tuple[Period, ...]
    drought: DroughtYears
    poverty_line: PovertyLine = Field(description="SO2-1 international poverty line of this edition")
    sex_percentage: Literal["share_within_exposed", "share_of_sex_total"] = Field(
        description="SO3-2 (and SO2-3) percentage by sex (D8): 2022 share of each sex among the exposed; 2026 exposed women / all women"
    )
    land_area_table: str = Field(description="reporting table holding the total land area (the SDG 15.3.1 denominator)")
    country_profile_tables: tuple[TableDeclaration, ...] = Field(
        default=(), description="country-profile tables of the edition (2026: CP-1.T1 land area, CP-1.T2 demographics)")
    source: str
