"""A period's figures as text, JSON and HTML, every count passed through suppression."""

from __future__ import annotations

import json
from collections import Counter
from html import escape
from typing import Any

from medcom_adapter.stats.figures import Figures
from medcom_adapter.stats.suppress import SMALL, shown
from medcom_adapter.stats.svg import bars


def as_data(f: Figures) -> dict[str, Any]:
    """Every figure, suppressed: what JSON, text and HTML show."""
    def monthly(table: dict[str, Counter[str]]) -> dict[str, dict[str, int | str]]:
        return {k: {m: shown(table[k][m]) for m in f.months} for k in sorted(table)}

    def ranked(counts: Counter[str]) -> dict[str, int | str]:
        return {k: shown(v) for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}

    times = {k: {"antal": shown(t.count),
                 "median_minutter": t.median_minutes if t.count >= SMALL else None,
                 "p90_minutter": t.p90_minutes if t.count >= SMALL else None}
             for k, t in sorted(f.answer_times.items())}
    return {
        "periode": {"fra": f.since.isoformat(), "til": f.until.isoformat(),
                    "maaneder": list(f.months)},
        "sendt_pr_maaned": monthly(f.sent), "modtaget_pr_maaned": monthly(f.received),
        "breve_pr_modtager": ranked(f.by_receiver), "breve_pr_region": ranked(f.by_region),
        "svartid": times, "negative_kvitteringer": ranked(f.negative),
        "timeouts": shown(f.timeouts), "genfremsendelser": shown(f.resends),
        "henvisninger_pr_maaned": monthly(f.henvisninger),
        "aldersfordeling": {b: shown(n) for b, n in f.ages.items()},
        "uden_alder_erstatnings_cpr": shown(f.without_age),
        "note": f"Antal fra 1 til {SMALL - 1} vises som <{SMALL}.",
    }


def as_json(f: Figures) -> str:
    return json.dumps(as_data(f), ensure_ascii=False, indent=1) + "\n"


def as_text(f: Figures) -> str:
    d = as_data(f)
    lines = [f"Statistik {f.since.isoformat()} til {f.until.isoformat()} ({d['note']})", ""]

    def table(title: str, rows: dict[str, dict[str, int | str]]) -> None:
        lines.append(title)
        if not rows:
            lines.append("  (ingen)")
        for name, per_month in rows.items():
            cells = "  ".join(f"{m} {v}" for m, v in per_month.items())
            lines.append(f"  {name:<28} {cells}")
        lines.append("")

    def listing(title: str, rows: dict[str, Any]) -> None:
        lines.append(title)
        lines.extend([f"  {k:<40} {v}" for k, v in rows.items()] or ["  (ingen)"])
        lines.append("")

    table("Sendt pr. måned", d["sendt_pr_maaned"])
    table("Modtaget pr. måned", d["modtaget_pr_maaned"])
    listing("Breve pr. modtager", d["breve_pr_modtager"])
    listing("Breve pr. region", d["breve_pr_region"])
    listing("Svartid (minutter fra afsendelse til kvittering)", {
        k: f"{v['antal']} svar, median {_minutes(v['median_minutter'])}, "
           f"90 % inden for {_minutes(v['p90_minutter'])}" for k, v in d["svartid"].items()})
    listing("Negative kvitteringer pr. årsag", d["negative_kvitteringer"])
    listing("Timeouts og genfremsendelser", {"Timeouts": d["timeouts"],
                                             "Genfremsendelser": d["genfremsendelser"]})
    table("Henvisninger pr. klasse og måned", d["henvisninger_pr_maaned"])
    listing("Henviste børns alder (første henvisning i perioden)",
            {**d["aldersfordeling"], "Uden alder (erstatnings-CPR)":
             d["uden_alder_erstatnings_cpr"]})
    return "\n".join(lines)


def _minutes(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def as_html(f: Figures, *, standalone: bool = True) -> str:
    """The figures with their charts; ``standalone`` wraps them in a whole page."""
    d = as_data(f)
    out = [f"<p>Periode {f.since.strftime('%d.%m.%Y')} til {f.until.strftime('%d.%m.%Y')}. "
           f"{escape(d['note'])}</p>"]

    def section(title: str, body: str) -> None:
        out.append(f'<section class="stat"><h2>{escape(title)}</h2>{body}</section>')

    for title, key in (("Sendt pr. måned", "sendt_pr_maaned"),
                       ("Modtaget pr. måned", "modtaget_pr_maaned"),
                       ("Henvisninger pr. klasse og måned", "henvisninger_pr_maaned")):
        rows = d[key]
        body = "".join(f"<h3>{escape(name)}</h3>" + bars(f"{title}: {name}",
                                                         list(per_month.items()))
                       for name, per_month in rows.items()) or "<p>Ingen.</p>"
        section(title, body)
    for title, key in (("Breve pr. modtager", "breve_pr_modtager"),
                       ("Breve pr. region", "breve_pr_region"),
                       ("Negative kvitteringer pr. årsag", "negative_kvitteringer"),
                       ("Henviste børns alder", "aldersfordeling")):
        items = list(d[key].items())
        section(title, bars(title, items) if items else "<p>Ingen.</p>")
    rows = "".join(f"<tr><th scope=\"row\">{escape(k)}</th><td>{v['antal']}</td>"
                   f"<td>{_minutes(v['median_minutter'])}</td>"
                   f"<td>{_minutes(v['p90_minutter'])}</td></tr>"
                   for k, v in d["svartid"].items())
    section("Svartid fra afsendelse til kvittering (minutter)",
            "<table><thead><tr><th scope=\"col\">Type</th><th scope=\"col\">Svar</th>"
            "<th scope=\"col\">Median</th><th scope=\"col\">90 %-fraktil</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>" if rows else "<p>Ingen svar i perioden.</p>")
    section("Timeouts og genfremsendelser",
            f"<p>Timeouts: {d['timeouts']}. Genfremsendelser: {d['genfremsendelser']}. "
            f"Børn uden alder (erstatnings-CPR): {d['uden_alder_erstatnings_cpr']}.</p>")
    body = "\n".join(out)
    if not standalone:
        return body
    return ("<!doctype html>\n<html lang=\"da\"><head><meta charset=\"utf-8\">"
            "<title>Statistik, MedCom-adapter</title><style>"
            "body{font-family:system-ui,sans-serif;margin:2rem;color:#1a1a1a}"
            "svg text{font-size:13px;fill:#1a1a1a}table{border-collapse:collapse}"
            "th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left}"
            "section{break-inside:avoid;margin-bottom:1.5rem}"
            "</style></head><body><main><h1>Statistik</h1>\n" + body + "\n</main></body></html>\n")
