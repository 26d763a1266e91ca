"""The demo page: HTML and CSS, served as they are (no framework, nothing external); its
script is script.py's.

Kept as Python text so the server package carries them without package-data settings.
"""

from __future__ import annotations

from typing import Final


def _step(
    name: str, number: int, *, title: str, subtitle: str, placeholder: str, button: str
) -> str:
    """The top of a step's card, the same for both steps: its heading, and the form that
    asks for a user name (the script finds each part by the `name`-prefixed ids)."""
    return f"""    <section class="card" aria-labelledby="{name}-title">
      <div class="card-head">
        <span class="step">{number}</span>
        <div>
          <h2 id="{name}-title">{title}</h2>
          <p class="sub">{subtitle}</p>
        </div>
      </div>
      <form id="{name}-form" class="row" autocomplete="off">
        <label class="visually-hidden" for="{name}-user">User name</label>
        <input id="{name}-user" name="user" placeholder="{placeholder}"
               maxlength="256" required spellcheck="false" autocapitalize="off">
        <button type="submit" id="{name}-button">{button}</button>
      </form>
"""


PAGE_HTML: Final = (
    """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Keyfob push sign-in demo</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/demo/style.css">
<script src="/demo/app.js" defer></script>
</head>
<body>
<header class="top">
  <div class="wrap top-row">
    <div class="brand">
      <svg class="logo" viewBox="0 0 32 32" aria-hidden="true">
        <rect x="7" y="3" width="18" height="26" rx="6" fill="#818cf8"/>
        <circle cx="16" cy="9" r="2.6" fill="#111827"/>
        <rect x="11" y="15" width="10" height="9" rx="2.5" fill="#eef2ff"/>
      </svg>
      <span>Keyfob</span>
    </div>
    <span class="tag">push sign-in demo</span>
  </div>
</header>

<main class="wrap">
  <section class="intro">
    <h1>Approve sign-ins from your computer</h1>
    <p>This demo site uses this keyfob-server the way a real site would. Enroll your
    Keyfob once, then sign in: Keyfob pops up a prompt, and you approve it by typing the
    number this page shows.</p>
  </section>

  <div class="steps">
"""
    + _step(
        "enroll",
        1,
        title="Enroll your Keyfob",
        subtitle="Once per user and device.",
        placeholder="User name, e.g. alice",
        button="Show code",
    )
    + """      <p class="error" id="enroll-error" role="alert" hidden></p>

      <div id="enroll-result" hidden>
        <div class="enroll-grid">
          <div id="qr" class="qr"></div>
          <div class="how">
            <p class="how-title">Scan it with Keyfob</p>
            <p class="hint">In the Keyfob app: <b>Add</b>, then scan the code from the
            screen. On this computer you can also
            <a id="enroll-link" href="#">open the link in Keyfob</a>.</p>
            <p class="hint">Or in a terminal:</p>
            <div class="command">
              <code id="enroll-command"></code>
              <button type="button" class="small" id="copy-command">Copy</button>
            </div>
          </div>
        </div>
        <div class="status" id="enroll-status" data-status="pending" role="status">
          <span class="dot" aria-hidden="true"></span>
          <span id="enroll-status-text">Waiting for your Keyfob</span>
        </div>
        <p class="fine" id="enroll-expiry"></p>
      </div>
    </section>

"""
    + _step(
        "signin",
        2,
        title="Sign in",
        subtitle="A real site asks for the password first.",
        placeholder="User name",
        button="Sign in",
    )
    + """      <div class="notice" id="signin-error" role="alert" hidden>
        <p id="signin-error-text"></p>
        <button type="button" class="small" id="unblock-button" hidden>Unblock</button>
      </div>

      <div id="signin-wait" class="wait" hidden>
        <p class="lead">Type this number in the prompt on your Keyfob</p>
        <div class="number" id="number" aria-live="polite"></div>
        <div class="bar" aria-hidden="true"><div class="fill" id="countdown-bar"></div></div>
        <p class="countdown"><span id="countdown"></span> left</p>
        <p class="fine" id="signin-context"></p>
        <button type="button" class="ghost" id="signin-cancel">Cancel</button>
      </div>

      <div id="signin-result" class="result" data-status="" role="status" hidden>
        <div class="icon" id="result-icon" aria-hidden="true"></div>
        <div class="result-body">
          <h3 id="result-title"></h3>
          <p id="result-text"></p>
          <div class="actions">
            <button type="button" id="signin-again">Sign in again</button>
            <button type="button" class="ghost" id="result-unblock" hidden>Unblock</button>
          </div>
        </div>
      </div>
    </section>
  </div>

  <section class="card outcomes" aria-label="What the answers mean">
    <h2>What you can answer on Keyfob</h2>
    <ul>
      <li><b>Approve</b> with the number shown here: you are signed in.</li>
      <li><b>Deny</b>: the sign-in is refused, and the next request waits a little.</li>
      <li><b>It wasn&#8217;t me</b>: refused and reported; requests stop until the site
      unblocks the user.</li>
      <li>A <b>wrong number</b> ends the request at once: there is no second guess.</li>
    </ul>
  </section>

  <footer class="foot">Integrating your own site? The API this demo uses is described at
  <a href="/openapi.json">/openapi.json</a> and in the server&#8217;s PROTOCOL.md.</footer>
</main>
</body>
</html>
"""
)

STYLE_CSS: Final = """:root {
  --bg: #f4f6fb;
  --card: #ffffff;
  --ink: #111827;
  --muted: #6b7280;
  --line: #e5e7eb;
  --accent: #4f46e5;
  --accent-dark: #4338ca;
  --accent-soft: #eef2ff;
  --ok: #047857;
  --ok-soft: #ecfdf5;
  --bad: #b91c1c;
  --bad-soft: #fef2f2;
  --warn: #b45309;
  --warn-soft: #fffbeb;
  --idle: #4b5563;
  --idle-soft: #f3f4f6;
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body {
  margin: 0;
  background: var(--bg);
  color: var(--ink);
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "DejaVu Sans", sans-serif;
}
a { color: var(--accent); }
.wrap { max-width: 1080px; margin: 0 auto; padding: 0 24px; }
.top { background: #111827; color: #fff; }
.top-row { display: flex; align-items: center; justify-content: space-between; height: 60px; }
.brand { display: flex; align-items: center; gap: 10px; font-weight: 700; font-size: 19px; }
.logo { width: 28px; height: 28px; }
.tag {
  color: #c7d2fe; font-size: 13px; font-weight: 600; letter-spacing: .02em;
  border: 1px solid #374151; border-radius: 999px; padding: 3px 12px;
}
.intro h1 { font-size: 30px; line-height: 1.2; margin: 40px 0 10px; letter-spacing: -.01em; }
.intro p { color: var(--muted); max-width: 700px; margin: 0 0 28px; font-size: 17px; }
.steps {
  display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 24px;
  align-items: start;
}
@media (max-width: 900px) { .steps { grid-template-columns: minmax(0, 1fr); } }
.card {
  background: var(--card); border: 1px solid var(--line); border-radius: 16px;
  padding: 24px; box-shadow: 0 1px 2px rgba(17, 24, 39, .04), 0 10px 30px rgba(17, 24, 39, .06);
}
.card-head { display: flex; align-items: center; gap: 14px; margin-bottom: 18px; }
.step {
  flex: none; width: 38px; height: 38px; border-radius: 50%; display: grid; place-items: center;
  background: var(--accent-soft); color: var(--accent); font-weight: 800;
}
h2 { font-size: 20px; margin: 0; }
.sub { margin: 0; color: var(--muted); font-size: 14px; }
.row { display: flex; gap: 10px; }
input {
  flex: 1; min-width: 0; font: inherit; color: inherit; background: #fff;
  padding: 10px 14px; border: 1px solid #d1d5db; border-radius: 10px;
}
input:focus { outline: 3px solid #c7d2fe; border-color: var(--accent); }
button {
  font: inherit; font-weight: 600; white-space: nowrap; cursor: pointer;
  padding: 10px 18px; border: 0; border-radius: 10px; background: var(--accent); color: #fff;
}
button:hover { background: var(--accent-dark); }
button:disabled { opacity: .6; cursor: default; }
button:focus-visible { outline: 3px solid #c7d2fe; }
button.ghost {
  background: transparent; color: var(--accent); border: 1px solid #c7d2fe; padding: 8px 16px;
}
button.ghost:hover { background: var(--accent-soft); }
button.small { font-size: 13px; padding: 5px 12px; }
.visually-hidden {
  position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap;
}
.error, .notice {
  margin: 14px 0 0; padding: 12px 14px; border-radius: 10px;
  background: var(--bad-soft); color: var(--bad); border: 1px solid #fecaca;
}
.notice { background: var(--warn-soft); color: #78350f; border-color: #fde68a; }
.notice p { margin: 0 0 0; }
.notice button { margin-top: 10px; }
.enroll-grid {
  display: grid; grid-template-columns: 212px 1fr; gap: 22px; margin-top: 22px;
  align-items: start;
}
@media (max-width: 520px) {
  .enroll-grid { grid-template-columns: minmax(0, 1fr); }
  .qr { justify-self: center; }
}
.qr svg {
  display: block; width: 212px; height: 212px; border: 1px solid var(--line);
  border-radius: 12px; transition: opacity .3s;
}
#enroll-result[data-done] .qr svg { opacity: .3; }
.how-title { font-weight: 700; margin: 0 0 4px; }
.hint { margin: 0 0 10px; color: #374151; font-size: 15px; }
.command {
  display: flex; gap: 8px; align-items: flex-start; background: var(--idle-soft);
  border-radius: 10px; padding: 8px 8px 8px 12px; margin-bottom: 14px;
}
code {
  flex: 1; min-width: 0; max-height: 3.2em; overflow: hidden; word-break: break-all;
  font: 12.5px/1.6 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; color: #374151;
}
.status {
  display: flex; align-items: center; gap: 10px; padding: 10px 14px; border-radius: 10px;
  font-weight: 600; font-size: 15px; background: var(--warn-soft); color: var(--warn);
  margin-top: 6px;
}
.status .dot {
  flex: none; width: 10px; height: 10px; border-radius: 50%; background: currentColor;
  animation: pulse 1.2s ease-in-out infinite;
}
.status[data-status="completed"] { background: var(--ok-soft); color: var(--ok); }
.status[data-status="expired"] { background: var(--idle-soft); color: var(--idle); }
.status[data-status="completed"] .dot, .status[data-status="expired"] .dot { animation: none; }
@keyframes pulse { 50% { opacity: .25; } }
.fine { color: var(--muted); font-size: 13px; margin: 10px 0 0; }
.wait { margin-top: 22px; text-align: center; }
.lead { margin: 0 0 12px; font-weight: 600; color: #374151; }
.number {
  font-size: 104px; font-weight: 800; line-height: 1; letter-spacing: .08em;
  font-variant-numeric: tabular-nums; padding: 26px 0 26px .08em; border-radius: 16px;
  background: var(--accent-soft); color: var(--accent-dark); border: 2px dashed #c7d2fe;
}
.bar { height: 6px; background: var(--line); border-radius: 999px; overflow: hidden;
  margin: 18px 0 8px; }
.fill { height: 100%; width: 100%; background: var(--accent); transition: width .25s linear; }
.fill.low { background: var(--warn); }
.countdown { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
.wait .fine { margin-bottom: 16px; }
.result {
  display: flex; gap: 16px; align-items: flex-start; margin-top: 22px; padding: 20px;
  border-radius: 14px; background: var(--idle-soft); color: var(--idle);
}
.result .icon {
  flex: none; width: 52px; height: 52px; border-radius: 50%; display: grid; place-items: center;
  background: var(--idle); color: #fff;
}
.result .icon svg { width: 28px; height: 28px; }
.result h3 { margin: 2px 0 4px; font-size: 22px; }
.result p { margin: 0; color: #374151; }
.actions { display: flex; gap: 10px; margin-top: 16px; flex-wrap: wrap; }
.result[data-status="approved"] { background: var(--ok-soft); color: var(--ok); }
.result[data-status="approved"] .icon { background: var(--ok); }
.result[data-status="denied"], .result[data-status="fraud"] {
  background: var(--bad-soft); color: var(--bad);
}
.result[data-status="denied"] .icon, .result[data-status="fraud"] .icon {
  background: var(--bad);
}
.result[data-status="wrong_number"] { background: var(--warn-soft); color: var(--warn); }
.result[data-status="wrong_number"] .icon { background: var(--warn); }
.outcomes { margin-top: 24px; }
.outcomes h2 { font-size: 17px; margin-bottom: 8px; }
.outcomes ul { margin: 0; padding-left: 20px; color: #374151; columns: 2; column-gap: 40px; }
.outcomes li { margin-bottom: 6px; break-inside: avoid; }
@media (max-width: 900px) { .outcomes ul { columns: 1; } }
.foot { color: var(--muted); font-size: 14px; margin: 28px 0 40px; text-align: center; }
"""
