// Progressive enhancement for the server-rendered pages: every page works without this file.

// The service worker keeps the app shell and visited pages for use offline.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js").catch(() => {});
}

// Wallet: "Share" makes the credential's public link and shows it with its QR code.
for (const button of document.querySelectorAll("button.share[data-id]")) {
  button.addEventListener("click", async () => {
    const id = button.dataset.id;
    button.disabled = true;
    try {
      const res = await fetch(`/api/v1/credentials/${encodeURIComponent(id)}/share`, {
        method: "POST",
        credentials: "same-origin",
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const link = await res.json();
      const out = button.closest("li").querySelector("output.shared");
      const a = out.querySelector("a.share-url");
      a.href = link.url;
      a.textContent = link.url;
      out.querySelector("img.qr").src = link.qr_svg;
      out.hidden = false;
    } catch (e) {
      button.disabled = false;
      button.title = String(e);
    }
  });
}
