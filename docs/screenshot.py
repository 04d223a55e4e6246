"""Take the README's screenshot of the web chat page: a forecast and a complaints question on a demo workspace.

    .venv/bin/python docs/screenshot.py [WORKSPACE] [OUT]     # defaults: workspace, docs/web-chat.png

Needs a built demo workspace (`marketing-agent demo`) and Debian's chromium at /usr/bin/chromium. The app runs
in this process on 127.0.0.1 with keys off; stop any other server on the same workspace first.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, sync_playwright

from agent.openai_server import serve_app
from agent.server import create_app

QUESTIONS = ("Forecast the Harbor tee for the next 8 weeks", "What do customers complain about for the Aurora dress?")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def ask(page: Page, question: str) -> None:
    page.get_by_label("Your question").fill(question)
    page.get_by_label("Your question").press("Enter")
    page.wait_for_function("() => !document.querySelector('#message').disabled", timeout=120_000)


def take(workspace: Path, out: Path) -> Path:
    with serve_app(create_app(workspace, keys=False)) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, color_scheme="light")
        page.goto(server.url + "/")
        for question in QUESTIONS:
            ask(page, question)
        # the forecast answer whole, then the start of the complaints answer with its citations
        page.locator(".message.user").first.evaluate("node => node.scrollIntoView({block: 'start'})")
        page.mouse.move(0, 0)
        with tempfile.TemporaryDirectory() as folder:
            raw = Path(folder) / "raw.png"
            page.screenshot(path=str(raw))
            browser.close()
            # a 256-colour palette keeps the flat UI sharp at a fraction of the size
            Image.open(raw).convert("RGB").quantize(colors=256, dither=Image.Dither.NONE).save(out, optimize=True)
    return out


if __name__ == "__main__":
    workspace = Path(sys.argv[1] if len(sys.argv) > 1 else "workspace")
    out = Path(sys.argv[2] if len(sys.argv) > 2 else Path(__file__).with_name("web-chat.png"))
    path = take(workspace, out)
    print(f"{path}: {path.stat().st_size // 1024} KB")
