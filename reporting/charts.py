"""Inline SVG charts (no scripts, no network), colour-blind-safe (Okabe-Ito), labels escaped."""

from __future__ import annotations

from markupsafe import Markup, escape

BLUE, ORANGE, GREY = "#0072B2", "#E69F00", "#595959"


def money(value: float) -> str:
    """Return pounds as £1.2bn, £12.3m, £45k or £120; a negative amount as −£5.3m (the sign before the £)."""
    sign, size = ("\u2212" if value < 0 and round(abs(value)) else ""), abs(value)
    if size >= 1e9:
        return f"{sign}£{size / 1e9:,.2f}bn"
    if size >= 1e6:
        return f"{sign}£{size / 1e6:,.1f}m"
    if size >= 1e3:
        return f"{sign}£{size / 1e3:,.0f}k"
    return f"{sign}£{size:,.0f}"


def millions(value: float, decimals: int = 1) -> str:
    """Return pounds in £m with fixed decimals, the sign before the £: −£5.30m."""
    text = f"£{abs(value) / 1e6:,.{decimals}f}m"
    return f"\u2212{text}" if value < 0 and any(d not in "0.," for d in text[1:-1]) else text


def interval_bars(labels: list[str], low: list[float], mid: list[float], high: list[float], title: str) -> Markup:
    """Return horizontal bars of `mid` with a line from `low` to `high`, one row per label."""
    width, left, row = 700, 270, 20  # 270 px hold 44 characters of DejaVu Sans at 10 px
    scale = (width - left - 70) / max(max(high, default=0.0), 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{row * len(labels) + 10}" '
        f'role="img" aria-label="{escape(title)}" font-family="DejaVu Sans, Arial, sans-serif" font-size="10">'
        f"<title>{escape(title)}</title>"
    ]
    for i, (label, lo, m, hi) in enumerate(zip(labels, low, mid, high, strict=True)):
        y = i * row + 4
        shown = label if len(label) <= 44 else label[:43] + "…"  # the whole name in the tooltip
        parts.append(f'<text x="{left - 6}" y="{y + 11}" text-anchor="end"><title>{escape(label)}</title>'
                     f"{escape(shown)}</text>")  # fmt: skip
        parts.append(f'<rect x="{left}" y="{y + 2}" width="{m * scale:.1f}" height="12" fill="{BLUE}"/>')
        parts.append(
            f'<line x1="{left + lo * scale:.1f}" x2="{left + hi * scale:.1f}" y1="{y + 8}" y2="{y + 8}" '
            f'stroke="{GREY}" stroke-width="2"/>'
        )
        parts.append(f'<text x="{left + hi * scale + 4:.1f}" y="{y + 11}">{escape(money(m))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def tornado(labels: list[str], at_low: list[float], at_high: list[float], central: float, title: str) -> Markup:
    """Return a tornado chart: for each parameter a bar from the total at its low to the total at its high.

    Each bar end is labelled with its total; a scale with five ticks runs along the bottom and a legend says
    which colour is which.
    """
    width, left, right, row, pad = 720, 230, 70, 20, 56  # pad: room for a total left of the lowest bar end
    values = [*at_low, *at_high, central]
    lo, hi = min(values), max(values)
    scale = (width - left - right - pad) / max(hi - lo, 1.0)
    x = lambda v: left + pad + (v - lo) * scale  # noqa: E731
    bottom = row * len(labels) + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{bottom + 58}" '
        f'role="img" aria-label="{escape(title)}" font-family="DejaVu Sans, Arial, sans-serif" font-size="10">'
        f"<title>{escape(title)}</title>"
    ]
    for i, (label, a, b) in enumerate(zip(labels, at_low, at_high, strict=True)):
        y = i * row + 4
        parts.append(f'<text x="{left - 6}" y="{y + 11}" text-anchor="end">{escape(label)}</text>')
        for value, colour, which in ((a, ORANGE, "low"), (b, BLUE, "high")):
            parts.append(
                f'<rect x="{x(min(value, central)):.1f}" y="{y + 2}" width="{abs(x(value) - x(central)):.1f}" '
                f'height="12" fill="{colour}"><title>at {which}: {escape(money(value))}</title></rect>'
            )
        for value in (min(a, b), max(a, b)):  # the totals at the bar's two ends
            if abs(value - central) * scale < 1:
                continue
            outside = value > central
            anchor, shift = ("start", 3) if outside else ("end", -3)
            parts.append(
                f'<text x="{x(value) + shift:.1f}" y="{y + 11}" text-anchor="{anchor}" font-size="8.5">'
                f"{escape(money(value))}</text>"
            )
    parts.append(f'<line x1="{x(central):.1f}" x2="{x(central):.1f}" y1="0" y2="{bottom}" stroke="{GREY}"/>')
    parts.append(f'<line x1="{left + pad}" x2="{width - right}" y1="{bottom + 2}" y2="{bottom + 2}" stroke="{GREY}"/>')
    for k in range(5):  # the scale: estate hidden cost a year
        value = lo + (hi - lo) * k / 4
        parts.append(f'<line x1="{x(value):.1f}" x2="{x(value):.1f}" y1="{bottom + 2}" y2="{bottom + 6}" '
                     f'stroke="{GREY}"/>')  # fmt: skip
        parts.append(f'<text x="{x(value):.1f}" y="{bottom + 17}" text-anchor="middle">{escape(money(value))}</text>')
    legend = bottom + 36
    parts.append(f'<rect x="{left}" y="{legend - 9}" width="12" height="10" fill="{ORANGE}"/>')
    parts.append(f'<text x="{left + 16}" y="{legend}">parameter at its low value</text>')
    parts.append(f'<rect x="{left + 180}" y="{legend - 9}" width="12" height="10" fill="{BLUE}"/>')
    parts.append(f'<text x="{left + 196}" y="{legend}">at its high value</text>')
    parts.append(f'<line x1="{left + 310}" x2="{left + 310}" y1="{legend - 10}" y2="{legend + 1}" stroke="{GREY}"/>')
    parts.append(f'<text x="{left + 316}" y="{legend}">central: {escape(money(central))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
