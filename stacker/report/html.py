"""The report page: one static HTML file with inline CSS, PNGs beside it, nothing fetched.

:func:`render_page` turns cards (headline numbers), sections (figures and
tables) and notes for missing stages into a page that opens from disk in any
browser, offline.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from stacker.report import style


@dataclass(frozen=True)
class Table:
    """A table; with ``heat``, numbers in [0, 1] get a background shade (darker = higher)."""

    columns: list[str]
    rows: list[list]
    caption: str = ""
    heat: bool = False


@dataclass(frozen=True)
class Section:
    """A titled part of the page; ``missing`` (a note naming the command to run) replaces its content."""

    key: str
    title: str
    intro: str = ""
    images: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    missing: str | None = None


@dataclass(frozen=True)
class Card:
    """A headline number at the top of the page."""

    label: str
    value: str
    hint: str = ""


_CSS_TEMPLATE = """
:root { --ink: {ink}; --muted: {muted}; --line: {grid}; --accent: {accent}; --bg: #f6f7fb; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.55 -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: var(--ink); background: var(--bg); }
header { background: linear-gradient(120deg, #2b2d6e, var(--accent)); color: white; padding: 34px 48px 28px; }
header h1 { margin: 0 0 4px; font-size: 28px; letter-spacing: -0.5px; }
header p { margin: 0; opacity: 0.85; }
nav { position: sticky; top: 0; z-index: 2; background: white; border-bottom: 1px solid var(--line);
      padding: 10px 48px; display: flex; flex-wrap: wrap; gap: 6px 18px; font-size: 14px; }
nav a { color: var(--accent); text-decoration: none; font-weight: 600; }
nav a.off { color: var(--muted); font-weight: 400; }
main { max-width: 1240px; margin: 0 auto; padding: 26px 48px 60px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr)); gap: 14px; margin-bottom: 26px; }
.card { background: white; border-radius: 12px; padding: 16px 18px; box-shadow: 0 1px 3px rgba(31,41,51,.08); }
.card .label { font-size: 12px; text-transform: uppercase; letter-spacing: .6px; color: var(--muted); }
.card .value { font-size: 26px; font-weight: 700; margin: 2px 0; }
.card .hint { font-size: 12.5px; color: var(--muted); }
section { background: white; border-radius: 14px; padding: 22px 26px; margin-bottom: 22px;
          box-shadow: 0 1px 3px rgba(31,41,51,.08); }
section h2 { margin: 0 0 6px; font-size: 20px; }
section .intro { color: #52606d; margin: 0 0 14px; max-width: 900px; }
figure { margin: 8px 0 18px; text-align: center; }
figure img { max-width: 100%; height: auto; border-radius: 6px; }
.missing { border-left: 4px solid #f0b429; background: #fffbea; padding: 12px 16px; border-radius: 6px; }
.missing code, .intro code { background: #eef0f4; padding: 1px 6px; border-radius: 4px; font-size: 13.5px; }
.table-wrap { overflow-x: auto; margin: 6px 0 12px; }
table { border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: var(--muted); padding-bottom: 6px; font-size: 13px; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th { background: #f0f2f7; position: sticky; top: 0; font-weight: 600; }
th:first-child, td:first-child, td.text { text-align: left; }
tr:hover td { background: #f8f9ff; }
footer { color: var(--muted); font-size: 12.5px; text-align: center; padding: 10px 0 30px; }
"""
_CSS = (_CSS_TEMPLATE.replace("{ink}", style.INK).replace("{muted}", style.MUTED)
        .replace("{grid}", style.GRID).replace("{accent}", style.ACCENT))


def render_page(title: str, subtitle: str, cards: Sequence[Card], sections: Sequence[Section], footer: str) -> str:
    """The whole page as a string (UTF-8 HTML5); every text is escaped."""
    nav = "".join(
        f'<a href="#{s.key}"{" class=off" if s.missing else ""}>{_e(s.title)}</a>' for s in sections
    )
    body = "".join(_section(s) for s in sections)
    card_html = "".join(
        f'<div class="card"><div class="label">{_e(c.label)}</div><div class="value">{_e(c.value)}</div>'
        f'<div class="hint">{_e(c.hint)}</div></div>' for c in cards
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{_e(title)}</h1><p>{_e(subtitle)}</p></header><nav>{nav}</nav>"
        f'<main><div class="cards">{card_html}</div>{body}<footer>{_e(footer)}</footer></main></body></html>\n'
    )


def _section(section: Section) -> str:
    parts = [f'<section id="{_e(section.key)}"><h2>{_e(section.title)}</h2>']
    if section.intro:
        parts.append(f'<p class="intro">{_code(section.intro)}</p>')
    if section.missing:
        parts.append(f'<div class="missing">{_code(section.missing)}</div>')
    else:
        parts += [f'<figure><img src="{_e(src)}" alt="{_e(section.title)}"></figure>'
                  for src in section.images]
        parts += [_table(t) for t in section.tables]
    parts.append("</section>")
    return "".join(parts)


def _table(table: Table) -> str:
    head = "".join(f"<th>{_e(str(c))}</th>" for c in table.columns)
    rows = "".join("<tr>" + "".join(_cell(v, table.heat) for v in row) + "</tr>" for row in table.rows)
    caption = f"<caption>{_e(table.caption)}</caption>" if table.caption else ""
    return f'<div class="table-wrap"><table>{caption}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>'


def _cell(value, heat: bool) -> str:
    if isinstance(value, float):
        shade = f' style="background: {heat_colour(value)}"' if heat and 0.0 <= value <= 1.0 else ""
        return f"<td{shade}>{value:.4f}</td>"
    return f'<td class="text">{_e(str(value))}</td>'


def heat_colour(value: float) -> str:
    """A light-to-strong violet for ``value`` in [0, 1], readable under dark text."""
    lightness = 97 - 30 * max(0.0, min(1.0, value))
    return f"hsl(248, 70%, {lightness:.0f}%)"


def _e(text: str) -> str:
    return html.escape(str(text), quote=True)


def _code(text: str) -> str:
    """Escape ``text``, then show `backticked` spans as code."""
    parts = _e(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def write_page(path: Path, page: str) -> Path:
    """Write ``page`` to ``path`` atomically (a temp file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path
