"""Server-rendered pages. Text from users is never interpolated here; the landing page is static."""

from __future__ import annotations

from html import escape

from tandem import __version__


def landing_page(*, demo: bool, database: str) -> str:
    demo_note = (
        "<p>Demo mode: staff log in with <code>admin@tandem.example</code> / <code>tandem-demo</code> "
        "(also <code>alex@tandem.example</code>, <code>supervisor@tandem.example</code>).</p>"
        if demo
        else ""
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tandem</title>
<style>body{{font-family:system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;line-height:1.5}}
code{{background:#f2f2f2;padding:.1rem .3rem;border-radius:3px}}</style></head>
<body><h1>Tandem</h1>
<p>Customer service where an AI front line and human agents work as one team.</p>
{demo_note}
<ul>
<li><a href="/docs">API reference (OpenAPI)</a></li>
<li><a href="/readyz">Readiness</a> · <a href="/metrics">Metrics</a></li>
</ul>
<p><small>Version {escape(__version__)} · database: {escape(database)}</small></p>
</body></html>"""
