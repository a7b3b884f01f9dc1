// docflow: small progressive enhancements. Every page works without this.
(function () {
	"use strict";
	// Live preview: textareas with data-preview="ID" post their text to
	// /preview and show the numbered, printed-style result in #ID.
	document.querySelectorAll("textarea[data-preview]").forEach(function (ta) {
		var target = document.getElementById(ta.dataset.preview);
		if (!target) return;
		var head = target.querySelector(".sec-head");
		var heading = document.getElementById("heading");
		var timer = null, seq = 0;
		function update() {
			var my = ++seq;
			var body = new URLSearchParams();
			body.set("body", ta.value);
			body.set("level", ta.dataset.level || "0");
			fetch("/preview", { method: "POST", body: body, credentials: "same-origin" })
				.then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
				.then(function (html) {
					if (my !== seq) return;
					target.innerHTML = html; // rendered by the server's safe Markdown renderer
					if (head) {
						if (heading) head.textContent = head.dataset.label + heading.value;
						target.insertBefore(head, target.firstChild);
					}
				})
				.catch(function () {});
		}
		if (head) {
			head.dataset.label = head.textContent.slice(0, head.textContent.length - (heading ? heading.value.length : 0));
		}
		function later() { clearTimeout(timer); timer = setTimeout(update, 300); }
		ta.addEventListener("input", later);
		if (heading) heading.addEventListener("input", later);
	});

	// Drag and drop onto the upload area sets the file input.
	document.querySelectorAll("[data-drop]").forEach(function (zone) {
		var input = zone.querySelector("input[type=file]");
		if (!input) return;
		["dragenter", "dragover"].forEach(function (ev) {
			zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.add("over"); });
		});
		["dragleave", "drop"].forEach(function (ev) {
			zone.addEventListener(ev, function () { zone.classList.remove("over"); });
		});
		zone.addEventListener("drop", function (e) {
			e.preventDefault();
			if (e.dataTransfer && e.dataTransfer.files.length) {
				input.files = e.dataTransfer.files;
				var hint = zone.querySelector(".drop-hint");
				if (hint) hint.textContent = e.dataTransfer.files[0].name;
			}
		});
	});

	// A form upload to the bucket carries the file's name in metadata,
	// percent-encoded to stay ASCII (the inbox handler decodes it).
	document.querySelectorAll("form[data-post-upload]").forEach(function (form) {
		form.addEventListener("submit", function () {
			var input = form.querySelector("input[type=file]");
			var name = form.querySelector("input[name=x-amz-meta-filename]");
			if (input && name && input.files.length) name.value = encodeURIComponent(input.files[0].name);
		});
	});

	// Move focus to the error summary so screen readers announce it.
	var err = document.getElementById("form-error");
	if (err) { err.setAttribute("tabindex", "-1"); err.focus(); }
})();
