"""Strategy presets: the legs of common option structures, and the checks each structure implies."""

from __future__ import annotations

import math
from datetime import date
from enum import StrEnum

from .errors import PlanError, SymbolError
from .instruments import BUNDLED, monthly_symbol, parse_symbol
from .model import Leg, Side


class Preset(StrEnum):
    STRANGLE = "Short strangle"
    STRADDLE = "Short straddle"
    IRON_CONDOR = "Iron condor"
    CUSTOM = "Custom"


# Strike steps and a reference level for default strikes; the trader edits strikes before sending.
STRIKE_STEP = {
    "NIFTY": 50,
    "BANKNIFTY": 100,
    "FINNIFTY": 50,
    "MIDCPNIFTY": 25,
    "NIFTYNXT50": 100,
    "SENSEX": 100,
    "BANKEX": 100,
}
REFERENCE_LEVEL = {
    "NIFTY": 26000,
    "BANKNIFTY": 59000,
    "FINNIFTY": 27500,
    "MIDCPNIFTY": 13500,
    "NIFTYNXT50": 70000,
    "SENSEX": 85000,
    "BANKEX": 65000,
}


def _strike(underlying: str, level: float) -> int:
    step = STRIKE_STEP[underlying]
    return int(round(level / step) * step)


def check_atm(underlying: str, atm: object) -> int:
    """The ATM strike the trader typed, if the legs can be built around it; refused in one line otherwise, never
    replaced by a default or moved to the nearest strike without a word."""
    step = STRIKE_STEP[underlying]
    if isinstance(atm, bool) or not isinstance(atm, (int, float)) or not math.isfinite(atm):
        raise PlanError(f"ATM strike must be a number, got {atm!r}.")
    if atm <= 0:
        raise PlanError(f"ATM strike must be a positive {underlying} strike, e.g. {REFERENCE_LEVEL[underlying]}.")
    if atm % step:
        low = int(atm // step * step)
        raise PlanError(
            f"ATM strike {atm:g} is not on {underlying}'s {step}-point grid: use {max(low, step)} or {low + step}."
        )
    return int(atm)


def preset_legs(preset: Preset, underlying: str, on: date, atm: float | None = None) -> tuple[Leg, ...]:
    """Default legs on the nearest monthly expiry: strangle and condor bodies about 2% out of the money."""
    atm = REFERENCE_LEVEL[underlying] if atm is None else check_atm(underlying, atm)
    seg = BUNDLED[underlying].segment
    otm, wing = _strike(underlying, atm * 0.02), _strike(underlying, atm * 0.04)

    def mk(strike: float, right: str, side: Side) -> Leg:
        return Leg(symbol=monthly_symbol(underlying, strike, right, on), side=side, segment=seg)

    if preset is Preset.STRANGLE:
        return (mk(atm + otm, "CE", Side.SELL), mk(atm - otm, "PE", Side.SELL))
    if preset is Preset.STRADDLE:
        return (mk(atm, "CE", Side.SELL), mk(atm, "PE", Side.SELL))
    if preset is Preset.IRON_CONDOR:
        return (
            mk(atm + wing, "CE", Side.BUY),
            mk(atm + otm, "CE", Side.SELL),
            mk(atm - otm, "PE", Side.SELL),
            mk(atm - wing, "PE", Side.BUY),
        )
    return (mk(atm, "CE", Side.SELL),)


def check_preset(preset: Preset, legs: tuple[Leg, ...]) -> None:
    """Refuse legs that do not make the chosen structure, e.g. mixed underlyings in a strangle."""
    if preset is Preset.CUSTOM or not legs:
        return
    try:
        parsed = [parse_symbol(leg.symbol) for leg in legs]
    except SymbolError:
        return  # the planner reports the bad symbol itself
    if len({p.underlying for p in parsed}) > 1:
        raise PlanError(
            f"A {preset.value.lower()} uses one underlying; these legs mix "
            f"{', '.join(sorted({p.underlying for p in parsed}))}."
        )
    if len({p.expiry for p in parsed}) > 1:
        raise PlanError(f"A {preset.value.lower()} uses one expiry; these legs mix expiries.")
    shape = sorted((p.right, leg.side.value) for p, leg in zip(parsed, legs, strict=True))
    if preset in (Preset.STRANGLE, Preset.STRADDLE):
        if shape != [("CE", "S"), ("PE", "S")]:
            raise PlanError(f"A {preset.value.lower()} is one SELL CE and one SELL PE.")
        if preset is Preset.STRADDLE and parsed[0].strike != parsed[1].strike:
            raise PlanError("A short straddle sells the CE and the PE at the same strike.")
    if preset is Preset.IRON_CONDOR:
        if shape != [("CE", "B"), ("CE", "S"), ("PE", "B"), ("PE", "S")]:
            raise PlanError("An iron condor is BUY CE, SELL CE, SELL PE, BUY PE.")
        k = {(p.right, leg.side): p.strike for p, leg in zip(parsed, legs, strict=True)}
        if not (k["CE", Side.BUY] > k["CE", Side.SELL] > k["PE", Side.SELL] > k["PE", Side.BUY]):
            raise PlanError(
                "An iron condor's BUY wings sit outside its SELL body: BUY CE above SELL CE, BUY PE below SELL PE."
            )
