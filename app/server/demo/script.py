"""The demo page's script, served as it is at /demo/app.js (see page.py for the HTML).

It fills the page only through textContent; the one exception is the QR code's SVG, which
the server drew itself.
"""

from __future__ import annotations

from typing import Final

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
