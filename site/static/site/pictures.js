// The Write page's pictures, with a script: drop or paste a picture into the
// text (or choose one), describe it, press Upload: it is sent with a progress
// bar and its Markdown goes where the cursor is. Without this script the same
// button sends the whole form, and the server adds the picture at the end.
(function () {
  "use strict";
  var form = document.querySelector("form[data-pictures]");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  var text = form.querySelector("textarea[name=content]");
  var input = form.querySelector("input[name='picture-file']");
  var alt = form.querySelector("input[name='picture-alt']");
  var button = form.querySelector("button[name=upload]");
  var progress = form.querySelector("fieldset.pictures progress");
  var status = form.querySelector(".picture-status");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]");
  if (!text || !input || !alt || !button || !progress || !status || !token) return;
  var cursor = null;

  function say(message, isError) {
    status.textContent = message;
    status.setAttribute("role", isError ? "alert" : "status");
    status.classList.toggle("error", !!isError);
  }

  function take(files) {
    var picture = Array.prototype.find.call(files || [], function (file) { return /^image\//.test(file.type); });
    if (!picture) return false;
    var chosen = new DataTransfer();
    chosen.items.add(picture);
    input.files = chosen.files;
    cursor = text.selectionStart;
    say("Describe " + picture.name + " for someone who cannot see it, then press Upload picture.");
    alt.focus();
    return true;
  }

  function insert(markdown) {
    var at = cursor === null ? text.value.length : Math.min(cursor, text.value.length);
    var before = text.value.slice(0, at), after = text.value.slice(at);
    var lead = before === "" || /\n\n$/.test(before) ? "" : /\n$/.test(before) ? "\n" : "\n\n";
    var block = lead + markdown + "\n" + (after === "" || /^\n/.test(after) ? "" : "\n");
    text.value = before + block + after;
    text.selectionStart = text.selectionEnd = (before + block).length;
    text.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function upload() {
    if (!input.files || !input.files.length) {
      say("Choose a picture first (or drop one into the text).", true);
      return;
    }
    var data = new FormData();
    data.append("file", input.files[0]);
    data.append("alt", alt.value);
    var request = new XMLHttpRequest();
    request.open("POST", form.getAttribute("data-pictures"));
    request.setRequestHeader("X-CSRFToken", token.value);
    request.upload.onprogress = function (event) {
      if (event.lengthComputable) progress.value = Math.round((100 * event.loaded) / event.total);
    };
    request.onload = function () {
      progress.hidden = true;
      button.disabled = false;
      var answer = null;
      try { answer = JSON.parse(request.responseText); } catch (error) { answer = null; }
      if (request.status === 201 && answer) {
        insert(answer.markdown);
        input.value = "";
        alt.value = "";
        cursor = null;
        say("Picture added to the text. Save to keep the post.");
      } else {
        if (request.status === 400) input.value = "";  // Refused: not sent again with the post.
        say((answer && answer.error) || "The upload failed (" + request.status + "). Nothing was kept.", true);
      }
    };
    request.onerror = function () {
      progress.hidden = true;
      button.disabled = false;
      say("The upload did not reach the site. Check the connection and try again.", true);
    };
    progress.value = 0;
    progress.hidden = false;
    button.disabled = true;
    say("Uploading…");
    request.send(data);
  }

  // A picture chosen but not uploaded is not sent with Save, Preview or Publish.
  form.addEventListener("submit", function (event) {
    if (event.submitter !== button) input.disabled = true;
  });
  window.addEventListener("pageshow", function () { input.disabled = false; });

  button.addEventListener("click", function (event) {
    event.preventDefault();
    upload();
  });
  text.addEventListener("dragover", function (event) {
    if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") !== -1) {
      event.preventDefault();
      text.classList.add("dropping");
    }
  });
  text.addEventListener("dragleave", function () { text.classList.remove("dropping"); });
  text.addEventListener("drop", function (event) {
    text.classList.remove("dropping");
    if (event.dataTransfer && take(event.dataTransfer.files)) event.preventDefault();
  });
  text.addEventListener("paste", function (event) {
    if (event.clipboardData && take(event.clipboardData.files)) event.preventDefault();
  });
  alt.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      upload();
    }
  });
})();
