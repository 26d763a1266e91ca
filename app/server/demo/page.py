"""The demo page: HTML, CSS and script, served as they are (no framework, nothing external).

Kept as Python text so the server package carries them without package-data settings. The
script fills the page only through textContent; the one exception is the QR code's SVG,
which the server drew itself.
"""

from __future__ import annotations

from typing import Final

PAGE_HTML: Final = """<!doctype html>
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
    <section class="card" aria-labelledby="enroll-title">
      <div class="card-head">
        <span class="step">1</span>
        <div>
          <h2 id="enroll-title">Enroll your Keyfob</h2>
          <p class="sub">Once per user and device.</p>
        </div>
      </div>
      <form id="enroll-form" class="row" autocomplete="off">
        <label class="visually-hidden" for="enroll-user">User name</label>
        <input id="enroll-user" name="user" placeholder="User name, e.g. alice"
               maxlength="256" required spellcheck="false" autocapitalize="off">
        <button type="submit" id="enroll-button">Show code</button>
      </form>
      <p class="error" id="enroll-error" role="alert" hidden></p>

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

    <section class="card" aria-labelledby="signin-title">
      <div class="card-head">
        <span class="step">2</span>
        <div>
          <h2 id="signin-title">Sign in</h2>
          <p class="sub">A real site asks for the password first.</p>
        </div>
      </div>
      <form id="signin-form" class="row" autocomplete="off">
        <label class="visually-hidden" for="signin-user">User name</label>
        <input id="signin-user" name="user" placeholder="User name"
               maxlength="256" required spellcheck="false" autocapitalize="off">
        <button type="submit" id="signin-button">Sign in</button>
      </form>
      <div class="notice" id="signin-error" role="alert" hidden>
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

SCRIPT_JS: Final = """"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const SVG = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="3" ' +
    'stroke-linecap="round" stroke-linejoin="round">';
  const ICONS = {
    check: SVG + '<path d="M5 12.5l4.5 4.5L19 7.5"/></svg>',
    cross: SVG + '<path d="M6 6l12 12M18 6L6 18"/></svg>',
    alert: SVG + '<path d="M12 6v7M12 17.5v.5"/></svg>',
    clock: SVG + '<circle cx="12" cy="12" r="8"/><path d="M12 8v4.5l3 2"/></svg>',
  };
  const OUTCOMES = {
    approved: ["check", "Approved", (u) => "You are signed in as " + u + "."],
    denied: ["cross", "Denied", (u) => "The sign-in was refused on Keyfob. The next request " +
      "for " + u + " has to wait a little (protection against push fatigue)."],
    fraud: ["alert", "Reported as fraud", (u) => "Keyfob answered \\u201cIt wasn\\u2019t " +
      "me\\u201d. A real site would lock the account and ask for a new password; requests " +
      "to " + u + " are blocked until the site unblocks them."],
    wrong_number: ["alert", "Wrong number", () => "The number typed on Keyfob did not " +
      "match this page, so the sign-in is refused. There is no second guess."],
    expired: ["clock", "Expired", () => "Nobody answered in time."],
    cancelled: ["cross", "Cancelled", () => "This sign-in was cancelled."],
  };
  let enrollRun = 0;
  let signinRun = 0;
  let challengeId = null;
  let ticker = null;

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function call(method, path, body) {
    const init = { method, headers: {}, cache: "no-store" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    const retry = parseInt(response.headers.get("Retry-After") || "0", 10) || 0;
    return { ok: response.ok, status: response.status, data, retry };
  }

  function seconds(n) {
    if (n < 90) return n + " s";
    return Math.round(n / 60) + " min";
  }

  // -- step 1: enroll ------------------------------------------------------------------
  function enrollStatus(state, text) {
    $("enroll-status").dataset.status = state;
    $("enroll-status-text").textContent = text;
  }

  function enrollError(text) {
    $("enroll-error").textContent = text;
    $("enroll-error").hidden = !text;
  }

  $("enroll-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const user = $("enroll-user").value.trim();
    if (!user) return;
    const run = ++enrollRun;
    enrollError("");
    $("enroll-button").disabled = true;
    try {
      const r = await call("POST", "/demo/api/enrollments", { user });
      if (run !== enrollRun) return;
      if (!r.ok) {
        $("enroll-result").hidden = true;
        enrollError(r.data.message || "The server answered " + r.status + ".");
        return;
      }
      $("qr").innerHTML = r.data.qr;
      $("enroll-link").href = r.data.uri;
      // printf is built into the shell, so the link (it holds a secret) never shows among
      // the arguments of a running process, as it would in `keyfob push enroll LINK`.
      $("enroll-command").textContent =
        "printf '%s\\\\n' '" + r.data.uri + "' | keyfob push enroll -";
      $("copy-command").textContent = "Copy";
      enrollStatus("pending", "Waiting for " + r.data.user + "\\u2019s Keyfob\\u2026");
      $("enroll-expiry").textContent = "The code works once, for one device, and expires in " +
        seconds(r.data.expires_in) + ".";
      delete $("enroll-result").dataset.done;
      $("enroll-result").hidden = false;
      $("signin-user").value = r.data.user;
      watchEnrollment(run, r.data.id, r.data.user);
    } catch (e) {
      enrollError("Cannot reach the server. Is keyfob-server still running?");
    } finally {
      $("enroll-button").disabled = false;
    }
  });

  async function watchEnrollment(run, id, user) {
    while (run === enrollRun) {
      await sleep(1000);
      if (run !== enrollRun) return;
      let r;
      try {
        r = await call("GET", "/demo/api/enrollments/" + encodeURIComponent(id));
      } catch (e) {
        continue;
      }
      if (run !== enrollRun || !r.ok) continue;
      if (r.data.status === "completed") {
        enrollStatus("completed", "Enrolled: " + user + "\\u2019s Keyfob is ready. " +
          "Now sign in.");
        $("enroll-result").dataset.done = "";
        return;
      }
      if (r.data.status === "expired") {
        enrollStatus("expired", "This code has expired: show a new one.");
        $("enroll-result").dataset.done = "";
        return;
      }
    }
  }

  $("copy-command").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText($("enroll-command").textContent);
      $("copy-command").textContent = "Copied";
    } catch (e) {
      $("copy-command").textContent = "Select and copy";
    }
  });

  // -- step 2: sign in -----------------------------------------------------------------
  function stopTicker() {
    if (ticker !== null) clearInterval(ticker);
    ticker = null;
  }

  function startCountdown(total) {
    stopTicker();
    const end = performance.now() + total * 1000;
    const tick = () => {
      const left = Math.max(0, (end - performance.now()) / 1000);
      const whole = Math.ceil(left);
      $("countdown").textContent = Math.floor(whole / 60) + ":" +
        String(whole % 60).padStart(2, "0");
      $("countdown-bar").style.width = (100 * left / total).toFixed(2) + "%";
      $("countdown-bar").classList.toggle("low", left < 15);
    };
    tick();
    ticker = setInterval(tick, 250);
  }

  function refusal(user, r) {
    const code = r.data.error;
    let text = r.data.message || "The server answered " + r.status + ".";
    let blocked = false;
    if (r.status === 404 && code === "no_device") {
      text = user + " has no enrolled Keyfob yet: enroll it in step 1 first.";
    } else if (r.status === 423) {
      blocked = true;
      text = "Requests to " + user + " are blocked: a sign-in was reported as fraud " +
        "(\\u201cIt wasn\\u2019t me\\u201d). A real site unblocks once the password is changed.";
    } else if (code === "challenge_pending") {
      text = "A request for " + user + " is already waiting on Keyfob (for " +
        seconds(r.retry) + " more). Answer it, or try again then.";
    } else if (code === "backoff") {
      text = "Too many refused or unanswered requests for " + user + ": the next one can " +
        "go in " + seconds(r.retry) + ". A real site offers a code from the authenticator " +
        "meanwhile.";
    }
    $("signin-error-text").textContent = text;
    $("unblock-button").hidden = !blocked;
    $("unblock-button").dataset.user = user;
    $("unblock-button").textContent = "Unblock " + user;
    $("signin-error").hidden = false;
  }

  function reset() {
    stopTicker();
    challengeId = null;
    $("signin-error").hidden = true;
    $("signin-wait").hidden = true;
    $("signin-result").hidden = true;
  }

  $("signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const user = $("signin-user").value.trim();
    if (!user) return;
    const run = ++signinRun;
    reset();
    $("signin-button").disabled = true;
    let r;
    try {
      r = await call("POST", "/demo/api/signins", { user });
    } catch (e) {
      $("signin-button").disabled = false;
      refusal(user, { status: 0, data: { message: "Cannot reach the server." }, retry: 0 });
      return;
    }
    if (run !== signinRun) return;
    if (!r.ok) {
      $("signin-button").disabled = false;
      refusal(user, r);
      return;
    }
    challengeId = r.data.id;
    $("number").textContent = r.data.number;
    $("signin-context").textContent = "Keyfob shows: " + r.data.context.app + " \\u00b7 " +
      "Sign in as " + r.data.user + " \\u00b7 from " + r.data.context.user_agent + ", " +
      r.data.context.ip;
    startCountdown(r.data.expires_in);
    $("signin-wait").hidden = false;
    const status = await outcome(run, r.data.id);
    if (run !== signinRun || status === null) return;
    finish(user, status);
  });

  async function outcome(run, id) {
    while (run === signinRun) {
      let r;
      try {
        r = await call("GET", "/demo/api/signins/" + encodeURIComponent(id) + "?wait=25");
      } catch (e) {
        await sleep(1000);
        continue;
      }
      if (r.ok && r.data.status !== "pending") return r.data.status;
      if (!r.ok) await sleep(1000);
    }
    return null;
  }

  function finish(user, status) {
    stopTicker();
    challengeId = null;
    const [icon, title, text] = OUTCOMES[status] || ["alert", status, () => ""];
    $("signin-wait").hidden = true;
    $("result-icon").innerHTML = ICONS[icon];
    $("result-title").textContent = title;
    $("result-text").textContent = text(user);
    $("signin-result").dataset.status = status;
    $("result-unblock").hidden = status !== "fraud";
    $("result-unblock").dataset.user = user;
    $("result-unblock").textContent = "Unblock " + user;
    $("signin-result").hidden = false;
    $("signin-button").disabled = false;
  }

  $("signin-cancel").addEventListener("click", async () => {
    if (challengeId === null) return;
    try {
      await call("DELETE", "/demo/api/signins/" + encodeURIComponent(challengeId));
    } catch (e) {
      // The long poll reports whatever happened.
    }
  });

  $("signin-again").addEventListener("click", () => {
    $("signin-form").requestSubmit();
  });

  async function unblock(button) {
    const user = button.dataset.user;
    button.disabled = true;
    try {
      const r = await call("POST", "/demo/api/unblock", { user });
      if (r.ok) {
        button.hidden = true;
        $("signin-error-text").textContent = "Unblocked: requests to " + user +
          " work again.";
        $("signin-error").hidden = false;
      }
    } finally {
      button.disabled = false;
    }
  }

  $("unblock-button").addEventListener("click", () => unblock($("unblock-button")));
  $("result-unblock").addEventListener("click", () => {
    $("signin-result").hidden = true;
    unblock($("result-unblock"));
  });
})();
"""
