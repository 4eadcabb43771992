"""`python -m bench.browser URL`: a headless Chromium holding a portal home page (URL, filters included) open.

It runs as a process of its own (Playwright's event loop stays out of the Django process that
measures). A MutationObserver on the cards records, on the page's clock (epoch milliseconds, the
same wall clock the measuring process reads), when a card first shows a given name. The measuring
process writes `wait <twin_id> <name>` lines on stdin; each is answered with that time on stdout.
"""

from __future__ import annotations

import os
import sys

CHROMIUM = "/usr/bin/chromium"
# As tests/browser/conftest.py launches it.
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

OBSERVE = """() => {
  window.__seen = {};
  new MutationObserver((records) => {
    const at = performance.timeOrigin + performance.now();
    for (const r of records) {
      const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      const card = el && el.closest(".card");
      if (!card) continue;
      const key = card.dataset.twinId + "\\n" + card.querySelector('[data-field="name"]').textContent;
      if (!(key in window.__seen)) window.__seen[key] = at;
    }
  }).observe(document.getElementById("groups"), {subtree: true, childList: true, characterData: true});
}"""


def available() -> bool:
    return os.path.exists(CHROMIUM)


def main() -> None:
    from playwright.sync_api import sync_playwright

    url = sys.argv[1]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url, timeout=180_000)
        page.wait_for_selector('#conn[data-state="connected"]', timeout=180_000)
        page.evaluate(OBSERVE)
        print("ready", flush=True)
        for line in sys.stdin:
            _, twin_id, name = line.rstrip("\n").split(" ", 2)
            key = f"{twin_id}\n{name}"
            page.wait_for_function("k => k in window.__seen", arg=key, timeout=60_000)
            print(page.evaluate("k => window.__seen[k]", key) / 1000, flush=True)
        browser.close()


if __name__ == "__main__":
    main()
