"""The report page: one HTML file, styles and plots inline, no script.

The Content-Security-Policy forbids scripts and every fetch, so even text that escaped
escaping could run nothing and load nothing; text from records (messages, rule ids, keys,
annotators, labels) goes through `plots.escape` all the same. The page holds no time of
its own making: the same records give the same page.
"""
from __future__ import annotations

from datetime import datetime, timezone

from lsrules.exports.report import plots
from lsrules.exports.report.statistics import VERDICTS, ReportData
from lsrules.version import __version__

ANNOTATORS_PLOTTED = 30
ROUTES_PLOTTED = 30
SECTIONS = (("summary", "Summary"), ("verdicts-over-time", "Verdicts over time"),
            ("rules", "Rules by fire rate"), ("annotators", "Annotators"),
            ("routes", "Routes"), ("suggester", "Suggester"), ("streams", "Stream findings"))
POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'"
STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:920px;padding:0 24px 48px;
color:#222}
h1{font-size:22px;margin:24px 0 4px}h2{font-size:17px;margin:32px 0 8px;border-bottom:1px solid
#ddd;padding-bottom:4px}nav a{margin-right:12px}.meta{color:#666;margin:0}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;
padding:8px 14px;min-width:110px}.card b{display:block;font-size:20px}
table{border-collapse:collapse;width:100%;margin-top:8px}td,th{border-bottom:1px solid #eee;
padding:4px 6px;text-align:left;vertical-align:top}th{background:#f6f6f6}
td.n{text-align:right;white-space:nowrap}.legend span{margin-right:14px}.legend i{display:inline-block;
width:10px;height:10px;margin-right:4px}.empty{color:#666;font-style:italic}
.plot{max-width:100%;height:auto}ul.examples{margin:0;padding-left:16px}
.examples li{word-break:break-word}
"""


def render(data: ReportData, source: str) -> str:
    """The page for what `data` counted; `source` says where the records came from."""
    rulesets = ", ".join(name for name, _ in data.rulesets.most_common(3)) or "no records"
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>lsrules report: {plots.escape(rulesets)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>lsrules report: {plots.escape(rulesets)}</h1>",
        f'<p class="meta">{plots.escape(source)} · lsrules {plots.escape(__version__)}</p>',
        "<nav>" + "".join(f'<a href="#{anchor}">{title}</a>' for anchor, title in SECTIONS)
        + "</nav>",
        _summary(data), _over_time(data), _rules(data), _annotators(data), _routes(data),
        _suggester(data), _streams(data), "</body></html>\n",
    ]
    return "".join(parts)


def _section(anchor: str, body: str) -> str:
    title = dict(SECTIONS)[anchor]
    return f'<section id="{anchor}"><h2>{title}</h2>{body}</section>'


def _empty(text: str) -> str:
    return f'<p class="empty">{plots.escape(text)}</p>'


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def _summary(data: ReportData) -> str:
    total = data.annotations
    cards = [("annotations", str(total))]
    cards += [(verdict, f"{data.verdicts[verdict]} ({_percent(data.verdicts[verdict], total)})")
              for verdict in VERDICTS]
    cards.append(("stream findings", str(sum(data.stream_rules.values()))))
    return _section("summary", '<div class="cards">' + "".join(
        f'<div class="card" data-name="{plots.escape(name)}"><b>{plots.escape(value)}</b>'
        f"{plots.escape(name)}</div>" for name, value in cards) + "</div>")


def _over_time(data: ReportData) -> str:
    width, buckets = data.time_buckets()
    if not buckets:
        return _section("verdicts-over-time", _empty("no record has a time"))
    form = "%Y-%m-%d" if width >= 86400 else "%Y-%m-%d %H:%M"
    columns = [(datetime.fromtimestamp(start, timezone.utc).strftime(form), dict(counts))
               for start, counts in buckets]
    if data.timed_by_creation == data.annotations:
        basis = "when each annotation was created (the export's created_at)"
    elif data.timed_by_creation:
        basis = ("when each annotation was created where the export says, else when it was "
                 "evaluated")
    else:
        basis = ("when each annotation was evaluated (give the export with --input for when "
                 "it was created)")
    note = f"<p>Annotations per {_duration(width)}, by verdict; time is {basis}, UTC.</p>"
    series = {verdict: plots.VERDICT_COLOURS[verdict] for verdict in VERDICTS}
    return _section("verdicts-over-time", note + plots.legend(series) + plots.stacked_columns(
        columns, series, "verdicts over time"))


def _duration(seconds: float) -> str:
    for size, name in ((30 * 86400, "30 days"), (7 * 86400, "week"), (86400, "day"),
                       (3600, "hour"), (60, "minute")):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return name if count == 1 else f"{count} {name}s"
    return f"{seconds:.0f} s"


def _rules(data: ReportData) -> str:
    rules = data.rules_by_fire_rate()
    if not rules:
        return _section("rules", _empty("no rule fired"))
    total = data.annotations
    plot = plots.bars([(stats.rule, stats.fired / total if total else 0,
                        f"{_percent(stats.fired, total)} ({stats.fired})") for stats in rules],
                      "rules by fire rate", maximum=1.0)
    rows = []
    for stats in rules:
        examples = "".join(
            f"<li>task {plots.escape(example.task_id)}, annotation "
            f"{plots.escape(example.annotation_id)}"
            + (f", region {plots.escape(example.region_id)}" if example.region_id is not None
               else "") + f": {plots.escape(example.message)}</li>"
            for example in stats.examples)
        rows.append(f"<tr><td>{plots.escape(stats.rule)}</td><td>{plots.escape(stats.severity)}"
                    f'</td><td class="n">{stats.fired}</td><td class="n">'
                    f"{_percent(stats.fired, total)}</td><td class=\"n\">"
                    f"{_percent(stats.fixed, stats.findings)}</td>"
                    f'<td><ul class="examples">{examples}</ul></td></tr>')
    table = ("<table><tr><th>rule</th><th>severity</th><th>fired on</th><th>rate</th>"
             "<th>fixed</th><th>first examples</th></tr>" + "".join(rows) + "</table>")
    return _section("rules", "<p>Share of annotations each rule fired on.</p>" + plot + table)


def _annotators(data: ReportData) -> str:
    ranked = data.annotators_by_count()
    if not ranked:
        return _section("annotators", _empty(
            "no annotator known: the records do not name who annotated; give the export "
            "with --input"))
    series = {verdict: plots.VERDICT_COLOURS[verdict] for verdict in VERDICTS}
    shown = ranked[:ANNOTATORS_PLOTTED]
    plot = plots.share_rows([(str(who), dict(counts)) for who, counts in shown], series,
                            "annotators by verdict mix")
    rows = "".join(
        f"<tr><td>{plots.escape(who)}</td><td class=\"n\">{sum(counts.values())}</td>"
        + "".join(f'<td class="n">{_percent(counts[v], sum(counts.values()))}</td>'
                  for v in VERDICTS) + "</tr>" for who, counts in shown)
    more = (f"<p>and {len(ranked) - len(shown)} more annotators.</p>"
            if len(ranked) > len(shown) else "")
    unknown = (f"<p>{data.unknown_annotator} annotations without a known annotator.</p>"
               if data.unknown_annotator else "")
    table = ("<table><tr><th>annotator</th><th>annotations</th>" + "".join(
        f"<th>{v}</th>" for v in VERDICTS) + "</tr>" + rows + "</table>")
    return _section("annotators", "<p>Verdict mix of each annotator's annotations, most "
                    "annotations first.</p>" + plots.legend(series) + plot + table + more
                    + unknown)


def _routes(data: ReportData) -> str:
    if not data.routes and not data.stream_routes:
        return _section("routes", _empty("no annotation was routed"))
    total = data.annotations
    rows: list[tuple[str, float, str]] = [
        (name, count, f"{count} ({_percent(count, total)})")
        for name, count in sorted(data.routes.items(), key=lambda item: (-item[1], item[0]))]
    rows += [(f"{name} (stream rules)", count, f"{count} findings")
             for name, count in sorted(data.stream_routes.items(),
                                       key=lambda item: (-item[1], item[0]))]
    plot = plots.bars(rows[:ROUTES_PLOTTED], "routes")
    return _section("routes", "<p>Annotations the rules sent to each route, and the stream "
                    "findings that sent their tasks there.</p>" + plot)


def _streams(data: ReportData) -> str:
    if not data.stream_rules:
        return _section("streams", _empty("no stream finding"))
    ranked = sorted(data.stream_rules.items(), key=lambda item: (-item[1], item[0]))
    plot = plots.bars([(str(rule), count, str(count)) for rule, count in ranked],
                      "stream findings by rule", colour="#8e24aa")
    listed = data.listed_stream_findings()
    rows = "".join(
        f"<tr><td>{plots.escape(row.rule)}</td><td>{plots.escape(row.key_kind)} "
        f"{plots.escape(row.key)}</td><td class=\"n\">{row.matched}</td>"
        f"<td>{_when(row.time)}</td><td>task {plots.escape(row.task_id)}, annotation "
        f"{plots.escape(row.annotation_id)}</td><td>{plots.escape(row.message)}</td></tr>"
        for row in reversed(listed))
    total = sum(data.stream_rules.values())
    heading = (f"<p>The {len(listed)} most recent of {total} findings.</p>"
               if total > len(listed) else "")
    table = ("<table><tr><th>rule</th><th>key</th><th>events</th><th>time</th>"
             "<th>triggered by</th><th>message</th></tr>" + rows + "</table>")
    return _section("streams", plot + heading + table)


def _when(moment: float | None) -> str:
    if moment is None:
        return ""
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _suggester(data: ReportData) -> str:
    stats = data.suggester
    if not stats.seen:
        return _section("suggester", _empty("the suggester did not run on these annotations"))
    share = stats.auto_accepted_share or 0.0
    accuracy = stats.accuracy
    accuracy_text = ("unknown: give the export with --input to compare with the labels "
                     "people gave" if accuracy is None else
                     f"{100 * accuracy:.1f}% of {stats.checked} auto-accepted annotations "
                     "whose labels the export gives")
    plot = plots.bars([("auto-accepted", stats.auto_accepted,
                        f"{stats.auto_accepted} ({_percent(stats.auto_accepted, stats.seen)})"),
                       ("abstained", stats.seen - stats.auto_accepted,
                        f"{stats.seen - stats.auto_accepted}")], "suggester auto-accept share",
                      maximum=stats.seen, colour="#00897b")
    confidence = plots.bars([(f"{tenth / 10:.1f}–{(tenth + 1) / 10:.1f}",
                              stats.confidences[tenth], str(stats.confidences[tenth]))
                             for tenth in range(10)], "suggestion confidence",
                            colour="#26a69a")
    text = (f"<p>The suggester saw {stats.seen} annotations and was confident enough to "
            f"auto-accept {100 * share:.1f}% of them. Accuracy of the auto-accepted: "
            f"{plots.escape(accuracy_text)}.</p>")
    return _section("suggester", text + plot + "<p>Confidence of the suggestions.</p>"
                    + confidence)
