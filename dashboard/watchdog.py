"""A banner when the dashboard's server stops answering.

The page cannot draw anything once its server is gone, so a small script in the browser polls the server's health
endpoint and shows the banner itself. Runs live in the server process: the banner says what that means.
"""

from __future__ import annotations

import json

import streamlit as st

GONE = (
    "The dashboard's server is not answering. A run in progress lives in the server and stops with it. "
    "Start the dashboard again (make run) and open Results: the run is there, and an interrupted one can be resumed."
)

_SCRIPT = """
<script>
(() => {
  if (window.__neoServerWatch) return;
  window.__neoServerWatch = true;
  const bar = document.createElement("div");
  bar.setAttribute("role", "alert");
  bar.dataset.testid = "server-gone";
  bar.textContent = MESSAGE;
  bar.style.cssText = "display:none;position:fixed;top:0;left:0;right:0;z-index:1000000;background:#b00020;" +
    "color:#fff;padding:12px 16px;font:600 15px sans-serif;text-align:center";
  document.body.appendChild(bar);
  let misses = 0;
  setInterval(async () => {
    let ok = false;
    try { ok = (await fetch(new URL("_stcore/health", document.baseURI), {cache: "no-store"})).ok; } catch (e) {}
    misses = ok ? 0 : misses + 1;
    bar.style.display = misses >= 2 ? "block" : "none";
  }, 1500);
})();
</script>
""".replace("MESSAGE", json.dumps(GONE))


def server_watch() -> None:
    """Once per tab: the script keeps itself to one copy however often the page reruns."""
    st.html(_SCRIPT, unsafe_allow_javascript=True, width="content")
