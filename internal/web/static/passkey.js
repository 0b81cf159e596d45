// Passkeys (B19): opens the browser's own passkey dialog and puts its answer
// (the WebAuthn Level 3 JSON form) into a plain form field, so the server
// renders every outcome. Without this script, or in a browser without
// passkeys, everything marked data-passkey-only stays hidden.
(function () {
  "use strict";
  var supported = !!(window.PublicKeyCredential && navigator.credentials && window.fetch);
  var box = document.getElementById("passkey-messages");
  var msgs = box ? box.dataset : {};

  document.querySelectorAll("[data-passkey-only]").forEach(function (el) { el.hidden = !supported; });
  document.querySelectorAll("[data-passkey-unsupported]").forEach(function (el) { el.hidden = supported; });

  function b64ToBuf(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function bufToB64(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function ids(list) {
    return (list || []).map(function (d) { return Object.assign({}, d, { id: b64ToBuf(d.id) }); });
  }
  // Options from JSON: the browser's own parser where it has one (Level 3).
  function creationOptions(o) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(o);
    return Object.assign({}, o, { challenge: b64ToBuf(o.challenge), user: Object.assign({}, o.user, { id: b64ToBuf(o.user.id) }),
      excludeCredentials: ids(o.excludeCredentials) });
  }
  function requestOptions(o) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(o);
    return Object.assign({}, o, { challenge: b64ToBuf(o.challenge), allowCredentials: ids(o.allowCredentials) });
  }
  // The answer as JSON: toJSON() where the browser has it (Level 3).
  function answerJSON(cred) {
    if (typeof cred.toJSON === "function") return JSON.stringify(cred.toJSON());
    var r = cred.response, out = { id: cred.id, rawId: bufToB64(cred.rawId), type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {}, response: {
        clientDataJSON: bufToB64(r.clientDataJSON) } };
    if (r.attestationObject) {
      out.response.attestationObject = bufToB64(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = bufToB64(r.authenticatorData);
      out.response.signature = bufToB64(r.signature);
      if (r.userHandle) out.response.userHandle = bufToB64(r.userHandle);
    }
    return JSON.stringify(out);
  }
  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: body ? JSON.stringify(body) : null }).then(function (res) {
      return res.json().then(function (j) {
        // The API speaks English; other pages say it in their language.
        var english = document.documentElement.lang === "en";
        if (!res.ok) throw new Error((english && j.error && j.error.message) || msgs.failed);
        return j;
      });
    });
  }
  function show(form, text) {
    var el = (form.closest(".card") || document).querySelector("[data-passkey-error]");
    if (!el) return;
    el.textContent = text;
    el.hidden = false;
  }
  function explain(err) {
    if (!err) return msgs.failed;
    if (err.name === "NotAllowedError" || err.name === "AbortError") return msgs.cancelled;
    if (err.name === "InvalidStateError") return msgs.exists;
    if (err.name === "NotSupportedError") return msgs.unsupported;
    return err.message || msgs.failed;
  }
  // run intercepts a form's submission: get the options, open the dialog,
  // put the answer in the form and send it.
  function run(form, field, options, ceremony) {
    form.addEventListener("submit", function (ev) {
      var input = form.querySelector(field);
      if (input.value) return; // the answer is in: let it go
      ev.preventDefault();
      if (!supported) { show(form, msgs.unsupported); return; }
      var buttons = form.querySelectorAll("button");
      buttons.forEach(function (b) { b.disabled = true; });
      Promise.resolve().then(options).then(ceremony).then(function (cred) {
        input.value = answerJSON(cred);
        form.submit();
      }).catch(function (err) {
        buttons.forEach(function (b) { b.disabled = false; });
        show(form, explain(err));
      });
    });
  }

  document.querySelectorAll("form[data-passkey-create]").forEach(function (form) {
    run(form, "input[name=credential]", function () { return JSON.parse(form.dataset.passkeyCreate); }, function (o) {
      return navigator.credentials.create({ publicKey: creationOptions(o.publicKey) });
    });
  });
  document.querySelectorAll("form[data-passkey-signin]").forEach(function (form) {
    // Whatever the password form carries along (such as where to continue) goes too.
    var login = document.querySelector('form[action="/login"]');
    run(form, "input[name=credential]", function () {
      if (login) login.querySelectorAll("input[type=hidden]").forEach(function (h) {
        if (!form.querySelector('input[name="' + h.name + '"]')) form.appendChild(h.cloneNode());
      });
      return post("/api/v1/login/passkey");
    }, function (o) { return navigator.credentials.get({ publicKey: requestOptions(o.publicKey) }); });
  });
  document.querySelectorAll("form[data-passkey-step]").forEach(function (form) {
    // Ask for the options at once, so the dialog opens right on the press.
    var ready = supported ? post("/api/v1/login/send-code", { method: "passkey" }) : null;
    if (ready) ready.catch(function () {});
    run(form, "input[data-passkey-answer]", function () {
      var p = ready || post("/api/v1/login/send-code", { method: "passkey" });
      ready = null; // a second try asks anew (a challenge works once)
      return p;
    }, function (o) { return navigator.credentials.get({ publicKey: requestOptions(o.publicKey) }); });
  });
})();
