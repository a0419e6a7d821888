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
<li><a href="/demo/store">Demo shop with the chat widget</a></li>
<li><a href="/docs">API reference (OpenAPI)</a></li>
<li><a href="/readyz">Readiness</a> · <a href="/metrics">Metrics</a></li>
</ul>
<p><small>Version {escape(__version__)} · database: {escape(database)}</small></p>
</body></html>"""


STORE_LOCALES = ("en", "es", "fr", "de")
_STORE_TEXT = {
    "en": (
        "Handwoven throws, lamps and linen for slow evenings.",
        "New this week",
        "Free returns within 90 days.",
    ),
    "es": (
        "Mantas tejidas a mano, lámparas y lino para tardes tranquilas.",
        "Novedades",
        "Devoluciones gratis en 90 días.",
    ),
    "fr": (
        "Plaids tissés main, lampes et linge pour les soirées douces.",
        "Nouveautés",
        "Retours gratuits sous 90 jours.",
    ),
    "de": (
        "Handgewebte Decken, Lampen und Leinen für ruhige Abende.",
        "Neu diese Woche",
        "Kostenlose Rücksendung in 90 Tagen.",
    ),
}
_PRODUCTS = (
    ("Harbour wool throw", "89.00"),
    ("Amber glass lantern", "54.00"),
    ("Flax linen napkins (4)", "32.00"),
)


def demo_store_page(*, locale: str) -> str:
    """The demo shop front: what a customer of Loom & Lantern sees, with the chat widget embedded by the one
    script tag an integrator would paste."""
    locale = locale if locale in STORE_LOCALES else "en"
    tagline, new, returns = _STORE_TEXT[locale]
    products = "".join(
        f"<li><strong>{escape(name)}</strong> <span>€{escape(price)}</span></li>" for name, price in _PRODUCTS
    )
    languages = " · ".join(
        f'<a href="/demo/store?lang={code}" lang="{code}">{code.upper()}</a>' for code in STORE_LOCALES
    )
    return f"""<!doctype html>
<html lang="{locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Loom &amp; Lantern</title>
<style>body{{font-family:Georgia,serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.5}}
header{{display:flex;justify-content:space-between;align-items:baseline}}ul{{padding:0;list-style:none}}
li{{padding:.6rem 0;border-bottom:1px solid #eee;display:flex;justify-content:space-between}}</style></head>
<body><header><h1>Loom &amp; Lantern</h1><nav aria-label="Language">{languages}</nav></header>
<p>{escape(tagline)}</p><h2>{escape(new)}</h2><ul>{products}</ul><p><small>{escape(returns)}</small></p>
<script src="/static/widget.js" data-locale="{locale}" defer></script>
</body></html>"""


_SHELL_STYLE = (
    "body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#111;background:#f8fafc}"
    "main{max-width:26rem;margin:4rem auto;padding:1.5rem;background:#fff;border-radius:.6rem;"
    "box-shadow:0 2px 12px rgba(0,0,0,.08)}label{display:block;margin:.6rem 0 .2rem}"
    "input{width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #9ca3af;border-radius:.4rem;font:inherit}"
    "button{margin-top:1rem;padding:.55rem 1rem;border:0;border-radius:.4rem;background:#1d4ed8;color:#fff;"
    "font:600 1rem system-ui}[role=alert]{color:#b91c1c;min-height:1.2rem}"
)


def login_page() -> str:
    """The console's sign-in form. It posts JSON to /console/login, which sets the session cookie."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Tandem</title><style>{_SHELL_STYLE}</style></head>
<body><main><h1>Tandem console</h1>
<form id="login"><label for="email">E-mail</label><input id="email" type="email" autocomplete="username" required>
<label for="password">Password</label><input id="password" type="password" autocomplete="current-password" required>
<p role="alert" id="error"></p><button type="submit">Sign in</button></form></main>
<script>
document.getElementById("login").addEventListener("submit", function (event) {{
  event.preventDefault();
  var error = document.getElementById("error");
  error.textContent = "";
  fetch("/console/login", {{method: "POST", headers: {{"content-type": "application/json"}},
    body: JSON.stringify({{email: document.getElementById("email").value,
                          password: document.getElementById("password").value}})}})
    .then(function (r) {{ return r.json().then(function (body) {{ return [r.ok, body]; }}); }})
    .then(function (result) {{
      if (result[0]) location.assign("/console"); else error.textContent = result[1].detail || "Sign-in failed.";
    }})
    .catch(function () {{ error.textContent = "The server cannot be reached."; }});
}});
</script></body></html>"""


def console_page(
    *, script: str = "console.js", title: str = "Console", libraries: tuple[str, ...] = ()
) -> str:
    """A console shell; the script fills it from the API. ``libraries``: vendored scripts it needs first
    (served from the package, never a CDN)."""
    vendored = "".join(f'<script src="/static/vendor/{escape(name)}" defer></script>\n' for name in libraries)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · Tandem</title><link rel="stylesheet" href="/static/console.css"></head>
<body><div id="app" aria-live="polite">Loading…</div>
{vendored}<script src="/static/common.js" defer></script>
<script src="/static/{escape(script)}" defer></script></body></html>"""
