// The editor that never loses work (the Write and Edit pages). Without this
// script the form saves with its buttons; with it:
// - every change is kept in this browser at once (localStorage), and a
//   draft is saved to the server a moment after typing stops;
// - a session that ended keeps the text here, and it is saved (or restored,
//   after logging in) once the writer is back;
// - a tab whose text is older than the saved version is told, shown both,
//   and saves over it only when asked (the server keeps the other version);
// - words are counted, and on a wide screen the preview sits beside the text.
(function () {
  "use strict";
  var form = document.getElementById("editor");
  if (!form || !window.fetch || !window.FormData || !window.JSON) return;
  var title = form.elements.title, content = form.elements.content;
  var tags = form.elements.tags, revisionInput = form.elements.revision;
  var tokenInput = form.elements.csrfmiddlewaretoken;
  var statusLine = document.getElementById("editor-status");
  var counter = document.getElementById("word-count");
  var conflictBox = document.getElementById("editor-conflict");
  var previewPane = document.getElementById("live-preview");
  if (!title || !content || !tokenInput || !statusLine || !counter || !conflictBox) return;

  var SAVE_AFTER_IDLE = 1500;   // ms after the last key
  var SAVE_AT_LEAST_EVERY = 8000; // ms while typing without a pause
  var RETRY_LOGGED_OUT = 15000;  // ms: saved by itself once the writer logged in again elsewhere
  var toServer = form.getAttribute("data-mode") === "server";
  var slug = form.getAttribute("data-post") || "";
  var user = form.getAttribute("data-user") || "";
  var revision = revisionInput ? revisionInput.value : "";
  var idleTimer = null, retryTimer = null, firstUnsaved = 0, pendingSubmit = null;
  var saving = false, again = false, blocked = false, submitting = false;
  // A page the server made from text it did not save (a refusal, a preview, a conflict) holds unsaved text.
  var unsaved = form.getAttribute("data-unsaved") === "1";
  var lastSent = unsaved ? null : text();
  var lastTags = unsaved ? null : tags ? tags.value : "";
  var editorKey = "";

  // Each account's copies apart: a shared browser never offers one writer another's text.
  function key(name) { return "qp:text:" + user + "/" + (name === undefined ? slug || "new" : name); }
  function fields() { return { title: title.value, content: content.value, tags: tags ? tags.value : "" }; }
  function text() { return JSON.stringify(fields()); }
  function clock(date) {
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }
  function say(message, isError) {
    statusLine.textContent = message;
    statusLine.classList.toggle("error", !!isError);
  }

  // This browser's copy -------------------------------------------------------
  function stored(name) {
    try { return JSON.parse(window.localStorage.getItem(key(name)) || "null"); } catch (error) { return null; }
  }
  function store(extra) {
    var entry = fields();
    entry.revision = revision;
    entry.at = Date.now();
    if (!slug) entry.editorKey = editorKey;
    for (var name in extra || {}) entry[name] = extra[name];
    try { window.localStorage.setItem(key(), JSON.stringify(entry)); } catch (error) { /* Full or refused. */ }
    return entry;
  }
  function forget(name) {
    try { window.localStorage.removeItem(key(name)); } catch (error) { /* Nothing kept. */ }
  }
  function forgetIfSent(sending) {
    // Only the copy of what was saved: another tab's newer copy of the same post stays.
    var entry = stored();
    if (entry && JSON.stringify({ title: entry.title, content: entry.content, tags: entry.tags || "" }) === sending) forget();
  }
  function sameText(entry) {
    return entry.title === title.value && entry.content === content.value && (entry.tags || "") === (tags ? tags.value : "");
  }
  function put(entry) {
    title.value = entry.title || "";
    content.value = entry.content || "";
    if (tags) tags.value = entry.tags || "";
    counted();
  }

  // Words, and the preview beside the text ------------------------------------
  function counted() {
    var words = (content.value.match(/\S+/g) || []).length;
    counter.textContent = words + (words === 1 ? " word" : " words");
  }
  var previewTimer = null, previewSent = null;
  var previewBody = previewPane && previewPane.querySelector(".post-body");
  var previewEmpty = previewBody ? previewBody.innerHTML : "";
  function previewShown() {
    return previewBody && window.matchMedia && window.matchMedia("(min-width: 75rem)").matches;
  }
  function preview() {
    if (!previewShown() || previewSent === content.value) return;
    previewSent = content.value;
    if (!content.value.trim()) { previewBody.innerHTML = previewEmpty; return; }
    var data = new FormData();
    data.append("content", content.value);
    data.append("post", slug);
    post(form.getAttribute("data-preview"), data).then(function (answer) {
      if (answer.ok && answer.body.html !== undefined) {
        previewPane.hidden = false;
        previewBody.innerHTML = answer.body.html; // The server's sanitised HTML.
      }
    });
  }
  function previewSoon() {
    window.clearTimeout(previewTimer);
    previewTimer = window.setTimeout(preview, 700);
  }

  // Talking to the server -----------------------------------------------------
  function post(url, data, retried, leaving) {
    return window.fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": tokenInput.value, Accept: "application/json" },
      redirect: "manual",
      keepalive: !!leaving, // Sent even as the page goes.
    }).then(function (response) {
      var isJson = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (response.status === 403 && !isJson && !retried) {
        // The CSRF token changed (logged in again in another tab): ask for the new one, then try once more.
        return window.fetch(form.getAttribute("data-autosave"), { credentials: "same-origin" })
          .then(function (fresh) { return fresh.ok ? fresh.json() : null; })
          .then(function (body) {
            if (body && body.csrf) tokenInput.value = body.csrf;
            return post(url, data, true);
          });
      }
      return (isJson ? response.json() : Promise.resolve({})).then(function (body) {
        var wait = parseInt(response.headers.get("Retry-After") || "", 10);
        return { ok: response.ok, status: response.status, body: body, retryAfter: wait > 0 ? wait : 0 };
      });
    }, function () {
      return { ok: false, status: 0, body: { error: "The site could not be reached." } };
    });
  }

  function loggedOut(answer) {
    var next = encodeURIComponent(window.location.pathname);
    var login = (answer.body.login || form.getAttribute("data-login")) + "?next=" + next;
    statusLine.textContent = "You are logged out: your text is kept in this browser. ";
    var link = document.createElement("a");
    link.href = login;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = "Log in (in a new tab)";
    statusLine.appendChild(link);
    statusLine.appendChild(document.createTextNode(" and it is saved."));
    statusLine.classList.add("error");
  }

  function save(overwrite, leaving) {
    if (!toServer || blocked || (submitting && !leaving)) return;
    if (saving) { again = true; return; }
    var sending = text();
    if (sending === lastSent && !overwrite) return;
    if (!slug && !title.value.trim() && !content.value.trim()) return;
    saving = true;
    window.clearTimeout(retryTimer);
    say("Saving…");
    var data = new FormData();
    var now = fields();
    data.append("post", slug);
    data.append("title", now.title);
    data.append("content", now.content);
    // Tags only when changed here: a tab must not put back tags another tab changed.
    if (tags && now.tags !== lastTags) data.append("tags", now.tags);
    if (revision) data.append("revision", revision);
    if (overwrite) data.append("overwrite", "1");
    if (!slug) data.append("editor_key", editorKey);
    data.append("account", user);
    post(form.getAttribute("data-autosave"), data, false, leaving).then(function (answer) {
      saving = false;
      if (answer.ok) {
        saved(answer.body, sending, now.tags);
      } else if (answer.status === 401) {
        loggedOut(answer);
        retryTimer = window.setTimeout(save, RETRY_LOGGED_OUT);
      } else if (answer.status === 409 && answer.body.conflict) {
        conflicted(answer.body.conflict);
      } else if (answer.status === 409 && answer.body.account) {
        blocked = true; // Another account is logged in: this text stays here, saved nowhere.
        say(answer.body.error, true);
      } else if (answer.status === 409) {
        toServer = false; // Not a draft (published meanwhile): kept here until Save.
        say("Kept in this browser: this post changes only when you press Save.");
      } else {
        say("Not saved: " + (answer.body.error || "the server said " + answer.status) + " Your text is kept in this browser.", true);
        // Tried again only when waiting can help (the network, the server, a limit); a refusal stays one.
        if (answer.status === 0 || answer.status >= 500 || answer.status === 429 || answer.status === 408) {
          retryTimer = window.setTimeout(save, answer.retryAfter ? answer.retryAfter * 1000 : RETRY_LOGGED_OUT);
        }
      }
      if (pendingSubmit) {
        // A button pressed while this save was on its way: sent now, with this save's revision and address.
        var button = pendingSubmit;
        pendingSubmit = null;
        if (form.requestSubmit) form.requestSubmit(button.form === form ? button : undefined); else form.submit();
        return;
      }
      if (again) { again = false; save(); }
    });
  }

  function saved(body, sending, sentTags) {
    lastSent = sending;
    lastTags = body.tags_refused ? lastTags : sentTags;
    firstUnsaved = 0;
    revision = String(body.revision);
    if (revisionInput) revisionInput.value = revision;
    if (body.created) {
      // A new post is now a draft: this page edits it from here on (Save, Publish, a reload).
      forget("new"); // Its copy moves to the draft's own name below, if it holds more than was saved.
      slug = body.post;
      form.setAttribute("data-post", slug);
      form.action = body.edit_url;
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "post";
      hidden.value = slug;
      form.appendChild(hidden);
      if (window.history && window.history.replaceState) window.history.replaceState(null, "", body.edit_url);
    }
    if (text() === sending) forgetIfSent(sending); else store();
    say("Saved " + clock(new Date(body.saved_at)) + (body.tags_refused ? "; the tags wait: " + body.tags_refused : ""));
  }

  function conflicted(theirs) {
    blocked = true;
    say("Not saved: this draft was saved elsewhere at " + clock(new Date(theirs.saved_at)) + ".", true);
    conflictBox.textContent = "";
    var heading = document.createElement("h2");
    heading.textContent = "Saved in another tab or by someone else";
    var explain = document.createElement("p");
    explain.textContent = "Your text stays in the form (and in this browser); the saved version is below. " +
      "Keep yours to save it over the other, which is kept under “Versions set aside”, or take the saved one.";
    var details = document.createElement("details");
    details.open = true;
    var summary = document.createElement("summary");
    summary.textContent = "The saved version: " + theirs.title;
    var pre = document.createElement("pre");
    pre.className = "saved-text";
    pre.textContent = theirs.content;
    details.appendChild(summary);
    details.appendChild(pre);
    var actions = document.createElement("div");
    actions.className = "actions";
    var mine = document.createElement("button");
    mine.type = "button";
    mine.textContent = "Keep mine";
    mine.addEventListener("click", function () {
      // Sent with the revision this text was based on: the server sets the other version aside, then saves this.
      blocked = false;
      conflictBox.hidden = true;
      save(true);
    });
    var other = document.createElement("button");
    other.type = "button";
    other.className = "secondary";
    other.textContent = "Take the saved version";
    other.addEventListener("click", function () {
      // This tab's text is kept among the versions set aside, then the saved one is shown.
      var mineNow = fields(), data = new FormData();
      data.append("post", slug);
      data.append("title", mineNow.title);
      data.append("content", mineNow.content);
      data.append("revision", revision);
      data.append("set_aside", "1");
      post(form.getAttribute("data-autosave"), data).then(function (answer) {
        if (!answer.ok) {
          say("Not set aside: " + (answer.body.error || "the server said " + answer.status) + " Your text is still here.", true);
          return;
        }
        blocked = false;
        conflictBox.hidden = true;
        revision = String(theirs.revision);
        if (revisionInput) revisionInput.value = revision;
        put({ title: theirs.title, content: theirs.content, tags: theirs.tags || "" });
        lastSent = text();
        lastTags = tags ? tags.value : "";
        previewSoon();
        forget();
        say("Showing the saved version; yours is kept under “Versions set aside”.");
      });
    });
    actions.appendChild(mine);
    actions.appendChild(other);
    [heading, explain, details, actions].forEach(function (node) { conflictBox.appendChild(node); });
    conflictBox.hidden = false;
  }

  // Typing -------------------------------------------------------------------
  function changed() {
    counted();
    previewSoon();
    store();
    if (!toServer) { say("Kept in this browser: changes show when you press Save."); return; }
    if (!firstUnsaved) firstUnsaved = Date.now();
    window.clearTimeout(idleTimer);
    if (Date.now() - firstUnsaved >= SAVE_AT_LEAST_EVERY) save();
    else idleTimer = window.setTimeout(save, SAVE_AFTER_IDLE);
  }
  [title, content, tags].forEach(function (field) { if (field) field.addEventListener("input", changed); });

  function hidden(name, value) {
    var input = form.querySelector("input[name=" + name + "]") || document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.appendChild(input);
  }

  form.addEventListener("submit", function (event) {
    if (saving && toServer) {
      // An autosave is on its way: send the button's form after it, with its revision (no conflict with itself).
      event.preventDefault();
      pendingSubmit = event.submitter || null;
      if (!pendingSubmit) pendingSubmit = { form: null };
      return;
    }
    // The buttons save as without the script. Should this send fail (the
    // session ended), the copy here is still kept; the page after a save
    // that worked says so (data-forget), and theme.js lets the copy go.
    submitting = true;
    var nonce = Math.random().toString(36).slice(2, 12);
    store({ nonce: nonce });
    hidden("editor_copy", user + "/" + (slug || "new") + ":" + nonce);
    if (!slug) hidden("editor_key", editorKey);
  });
  window.addEventListener("pageshow", function () { submitting = false; });
  window.addEventListener("pagehide", function () {
    if (submitting || !toServer || text() === lastSent) return;
    save(false, true); // One last try, sent as the page goes; the copy here stays either way.
  });

  // Opening the page: what this browser kept -----------------------------------
  function offer(entry, message, restoreNow) {
    var box = document.createElement("div");
    box.className = "message warning editor-restored";
    box.setAttribute("role", "status");
    var words = document.createElement("span");
    words.textContent = message + " ";
    box.appendChild(words);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    box.appendChild(button);
    var serverText = fields();
    if (restoreNow) {
      put(entry);
      button.textContent = "Undo";
      button.addEventListener("click", function () {
        put(serverText);
        forget();
        box.remove();
        changed(); // The text as it was, saved again if the restored one was.
      });
    } else {
      button.textContent = "Restore it";
      button.addEventListener("click", function () {
        // Sent as written: on the older revision it was based on, so the server shows both instead of losing one.
        put(entry);
        if (entry.revision) {
          revision = String(entry.revision);
          if (revisionInput) revisionInput.value = revision;
        }
        box.remove();
        changed();
      });
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "link";
      discard.textContent = "Discard it";
      discard.addEventListener("click", function () { forget(); box.remove(); });
      box.appendChild(document.createTextNode(" · "));
      box.appendChild(discard);
    }
    form.parentNode.insertBefore(box, form);
  }

  var kept = stored();
  editorKey = (!slug && kept && kept.editorKey) ||
    (Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2)).slice(0, 16);
  if (kept && sameText(kept)) {
    if (!unsaved) forget();
  } else if (unsaved) {
    store(); // The form holds text not saved: this browser keeps it.
  } else if (kept && (kept.title || kept.content)) {
    var when = clock(new Date(kept.at));
    if (String(kept.revision || "") === String(revision || "")) {
      offer(kept, "Restored the text you had not saved (from " + when + ").", true);
      changed();
    } else {
      offer(kept, "This browser kept text from " + when + ", written on an older version than the one shown.", false);
    }
  }
  counted();
  preview();
  if (window.matchMedia) {
    var wide = window.matchMedia("(min-width: 75rem)");
    if (wide.addEventListener) wide.addEventListener("change", function () { previewSent = null; preview(); });
  }
})();
