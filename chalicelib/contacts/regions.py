"""Which country reads an import's phone numbers best: the preview's phone check.

The sample rows' phone cells are read with the chosen region; if another region
reads clearly more of them as valid (a Brazilian file with the account left on US),
the preview proposes it before anything is imported. A number valid only by reading
its digits as another country's code (the "+98" case) counts as a problem, never as
valid.
"""

from __future__ import annotations

from typing import Any

import phonenumbers

from chalicelib.contacts.phones import country_name, normalise

# Countries tried besides the chosen one and those the file's own "+…" numbers name:
# where most small businesses on WhatsApp are.
CANDIDATES = (
    "BR", "MX", "IN", "ID", "ES", "DE", "NG", "US", "GB", "AR", "CO", "PT", "FR", "IT",
    "TR", "NL", "ZA", "PH", "PK", "EG", "CL", "PE", "KE", "SA", "AE", "MY",
)  # fmt: skip
MAX_CELLS = 500
QUICK_CELLS = 30
MIN_GAIN = 3  # another region must read this many more numbers …
MIN_GAIN_SHARE = 0.2  # … and this share of the sample more, to be proposed
MAX_EXAMPLES = 5


def _read(cells: list[str], region: str) -> tuple[int, list[dict[str, Any]]]:
    valid = 0
    foreign: list[dict[str, Any]] = []
    for index, cell in enumerate(cells):
        result = normalise(cell, region)
        if result.e164 and result.foreign:
            foreign.append(
                {
                    "row": index + 1,
                    "value": cell[:60],
                    "read_as": result.e164,
                    "country": result.foreign,
                    "country_name": country_name(result.foreign),
                }
            )
        elif result.e164:
            valid += 1
    return valid, foreign


def _regions_named_by(cells: list[str]) -> list[str]:
    """Regions of the numbers written with "+" (a file of mostly +34… is Spanish)."""
    found: dict[str, int] = {}
    for cell in cells:
        text = cell.strip()
        if text.startswith(("+", "00")):
            result = normalise(text, "US")
            if result.e164:
                try:
                    code = phonenumbers.parse(result.e164, None).country_code
                except phonenumbers.NumberParseException:
                    continue
                region = phonenumbers.region_code_for_country_code(code or 0)
                found[region] = found.get(region, 0) + 1
    return sorted(found, key=lambda r: -found[r])[:3]


def phone_check(cells: list[str], region: str) -> dict[str, Any]:
    """Counts for the chosen region, and a better region if there is one."""
    cells = [c for c in cells if c.strip()][:MAX_CELLS]
    valid, foreign = _read(cells, region)
    # A quick look at the first cells ranks the candidates; only the best few read all.
    quick = cells[:QUICK_CELLS]
    quick_valid, _ = _read(quick, region)
    ranked = []
    for candidate in dict.fromkeys([*_regions_named_by(cells), *CANDIDATES]):
        if candidate != region:
            count, _ = _read(quick, candidate)
            if count > quick_valid:
                ranked.append((count, candidate))
    best_region, best_valid = region, valid
    for _, candidate in sorted(ranked, reverse=True)[:3]:
        count, _ = _read(cells, candidate)
        if count > best_valid:
            best_region, best_valid = candidate, count
    gain = best_valid - valid
    suggestion = None
    if best_region != region and gain >= max(MIN_GAIN, MIN_GAIN_SHARE * len(cells)):
        suggestion = {
            "region": best_region,
            "country_name": country_name(best_region),
            "valid": best_valid,
        }
    return {
        "region": region,
        "country_name": country_name(region),
        "checked": len(cells),
        "valid": valid,
        "invalid": len(cells) - valid - len(foreign),
        "other_country": len(foreign),
        "other_country_examples": foreign[:MAX_EXAMPLES],
        "suggestion": suggestion,
    }
