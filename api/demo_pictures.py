"""Product pictures for the demo store, drawn as SVG from the catalog row (no image files to ship).

Each category gets its own colour and shape, each product a shade and its brand and number, so
cards and product pages look like a real shop's and differ from one another. Real stores put
their own ``image_url`` in the catalog; these only stand in for the generated demo catalog.
"""
from __future__ import annotations

import zlib
from html import escape

SHAPES = (
    '<circle cx="120" cy="110" r="58" fill="{light}"/>',
    '<rect x="62" y="52" width="116" height="116" rx="18" fill="{light}"/>',
    '<path d="M120 44 L186 168 L54 168 Z" fill="{light}"/>',
    '<ellipse cx="120" cy="112" rx="76" ry="46" fill="{light}"/><circle cx="120" cy="112" r="22" fill="{dark}"/>',
    '<rect x="52" y="84" width="136" height="60" rx="30" fill="{light}"/>',
    '<path d="M120 48 C170 48 184 96 120 170 C56 96 70 48 120 48 Z" fill="{light}"/>',
)


def _hash(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def product_svg(item_id: str, title: str, category: str, brand: str = "") -> str:
    """A 240×240 SVG picture of one product."""
    hue = _hash(category or item_id) % 360
    shade = 38 + _hash(item_id) % 24
    shape = SHAPES[_hash(category or item_id) // 360 % len(SHAPES)]
    light, dark = f"hsl({hue},55%,{shade + 30}%)", f"hsl({hue},50%,{shade - 12}%)"
    label = escape((brand or title.split(" ")[0])[:18])
    number = escape(title.rsplit(" ", 1)[-1][:8]) if " " in title else ""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240" viewBox="0 0 240 240" role="img" '
        f'aria-label="{escape(title)}"><rect width="240" height="240" fill="hsl({hue},45%,{shade}%)"/>'
        f'{shape.format(light=light, dark=dark)}'
        f'<text x="120" y="206" text-anchor="middle" font-family="system-ui,sans-serif" font-size="20" '
        f'font-weight="600" fill="#fff">{label} {number}</text></svg>'
    )
