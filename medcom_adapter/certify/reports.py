"""Certification reports: a text table for the terminal, JUnit XML for CI, HTML for people.

Every value from a file (paths, messages, element paths) is untrusted: the XML writers
escape it through lxml, the HTML writer through ``html.escape``; the HTML page is
self-contained (inline style, no scripts, no external resources).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime

from lxml import etree

from medcom_adapter.certify.codes import hint
from medcom_adapter.certify.protocol import ScenarioResult
from medcom_adapter.certify.runner import FileResult, Finding


def summary(results: Sequence[FileResult]) -> tuple[int, int]:
    """(valid files, invalid files)."""
    valid = sum(1 for r in results if r.valid)
    return valid, len(results) - valid


def text(results: Sequence[FileResult]) -> str:
    """One row per file, then its errors with code, location and hint."""
    lines = []
    width = max((len(r.path) for r in results), default=4)
    lines.append(f"{'verdict':8} {'file':{width}}  {'kind':18} version")
    for r in results:
        verdict = "valid" if r.valid else "INVALID"
        lines.append(f"{verdict:8} {r.path:{width}}  {r.kind or '?':18} {r.version or ''}".rstrip())
        for f in r.findings:
            label = "warning" if f.warning else "error"
            lines.append(f"    {label} [{f.code}] {f.location or '(whole file)'}: {f.message}")
            lines.append(f"        hint: {f.hint}")
    valid, invalid = summary(results)
    lines.append(f"{len(results)} files: {valid} valid, {invalid} invalid")
    return "\n".join(lines) + "\n"


def junit(results: Sequence[FileResult], *, suite: str = "medcom-certify") -> bytes:
    """JUnit XML: one test case per file, one failure per error."""
    _, invalid = summary(results)
    root = etree.Element("testsuites")
    ts = etree.SubElement(root, "testsuite", name=suite, tests=str(len(results)),
                          failures=str(invalid), errors="0", skipped="0")
    for r in results:
        case = etree.SubElement(ts, "testcase", classname=f"{r.kind or 'unknown'}",
                                name=r.path)
        for f in r.errors:
            failure = etree.SubElement(case, "failure", type=f.code,
                                       message=f"{f.location}: {f.message}".lstrip(": "))
            failure.text = f"{f.message}\nwhere: {f.location or '(whole file)'}\nhint: {f.hint}"
        warnings = [f for f in r.findings if f.warning]
        if warnings:
            out = etree.SubElement(case, "system-out")
            out.text = "\n".join(f"warning [{f.code}] {f.location}: {f.message}" for f in warnings)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1b1b;max-width:70rem}
h1{font-size:1.5rem}.summary{display:flex;gap:1rem;margin:1rem 0 2rem}
.box{padding:.8rem 1.2rem;border-radius:.4rem;font-size:1.1rem}
.ok{background:#e3f4e6;color:#0b5d1e}.bad{background:#fde7e7;color:#8a1414}
.all{background:#eef1f6}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}
th{background:#f4f5f7}.verdict-valid{color:#0b5d1e;font-weight:600}
.verdict-invalid{color:#8a1414;font-weight:600}code{font-size:.9em;background:#f4f5f7;
padding:0 .2em}ul{margin:.2rem 0;padding-left:1.2rem}.hint{color:#555}
""".strip()


def html_report(results: Sequence[FileResult], *, title: str = "MedCom certification report",
                generated: datetime | None = None,
                words: tuple[str, str, str] = ("files", "valid", "invalid")) -> str:
    """A self-contained HTML page: summary first, then one row per file with its errors.

    ``words`` name the rows and the two verdicts (scenarios: passed, failed)."""
    e = html.escape
    noun, good, bad = words
    valid, invalid = summary(results)
    when = f"<p>Generated {e(generated.isoformat(timespec='seconds'))}</p>" if generated else ""
    rows = []
    for r in results:
        verdict = "valid" if r.valid else "invalid"
        shown = good if r.valid else bad
        items = "".join(
            f"<li>{'warning ' if f.warning else ''}<code>{e(f.code)}</code> "
            f"{e(f.location or '(whole file)')}: {e(f.message)}"
            f"<div class='hint'>{e(f.hint)}</div></li>"
            for f in r.findings
        )
        rows.append(
            f"<tr><td class='verdict-{verdict}'>{e(shown.upper())}</td><td>{e(r.path)}</td>"
            f"<td>{e(r.kind or '?')}</td><td>{e(r.version or '')}</td>"
            f"<td>{f'<ul>{items}</ul>' if items else ''}</td></tr>"
        )
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{e(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{e(title)}</h1>{when}"
        "<div class='summary'>"
        f"<div class='box all'>{len(results)} {e(noun)}</div>"
        f"<div class='box ok'>{valid} {e(good)}</div>"
        f"<div class='box bad'>{invalid} {e(bad)}</div></div>"
        f"<table><thead><tr><th>verdict</th><th>{e(noun.rstrip('s'))}</th><th>kind</th>"
        "<th>version</th><th>errors (code, where, what; hint)</th></tr></thead><tbody>"
        + "".join(rows) + "</tbody></table></body></html>\n"
    )


SCENARIO_WORDS = ("scenarios", "passed", "failed")


def scenario_rows(results: Sequence[ScenarioResult]) -> list[FileResult]:
    """Scenario results as report rows: one per scenario, one finding per reason it failed."""
    return [
        FileResult(
            f"{r.scenario.id}: {r.scenario.title}", r.passed,
            f"{r.scenario.direction.value} scenario", None,
            tuple(Finding("scenario.failed", None, None, reason, hint("scenario.failed"))
                  for reason in r.failures)
            + tuple(Finding("scenario.checklist", None, None, f"Bekræft: {item}",
                            hint("scenario.checklist"), warning=True)
                    for item in r.scenario.checklist))
        for r in results
    ]


def scenario_text(results: Sequence[ScenarioResult]) -> str:
    failed = [r for r in results if not r.passed]
    lines = [f"FAILED {r.scenario.id}: {reason}" for r in failed for reason in r.failures]
    lines.append(f"{len(results)} scenarios: {len(results) - len(failed)} passed, "
                 f"{len(failed)} failed")
    to_confirm = [(r.scenario.id, item) for r in results for item in r.scenario.checklist]
    if to_confirm:
        lines.append("To confirm by hand in the system under test:")
        lines += [f"  [ ] {id}: {item}" for id, item in to_confirm]
    return "\n".join(lines) + "\n"
