"""searchkit serve in a real browser: Debian's chromium, driven by Playwright for Python.

What only a browser shows: typing Chinese through an input method (the page must wait for
`compositionend`), the script under the page's Content-Security-Policy, clicks on facets
and links, a download, markup in the bulletin staying text, and how the page looks.
Screenshots of the result page at desktop and phone widths go to `bench-out/screenshots/`
(or `$SEARCHKIT_SCREENSHOTS`): look at them.

The server is the real `searchkit serve` on 127.0.0.1 and a free port, started and stopped
here. Playwright cannot download its own browser on this network: the system's `chromium`
is launched (`.ci/run` installs it); without it these tests are skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; "
                                                         ".ci/run does it)")
sync_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("starlette")

from searchkit.index import update_index  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEARCHKIT = Path(sys.executable).parent / "searchkit"
EVIL = '<script>alert("xss")</script>"><img src=x onerror=alert(1)>'
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def screenshots() -> Path:
    folder = Path(os.environ.get("SEARCHKIT_SCREENSHOTS", ROOT / "bench-out" / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`searchkit serve` over three seed issues and a crafted one whose first title holds markup."""
    corpus = tmp_path_factory.mktemp("browser-corpus")
    files = sorted(SEEDS.glob("*.txt"))
    for f in files[1:]:
        shutil.copy(f, corpus)
    text = files[0].read_text(encoding="utf-8")
    (corpus / "crafted.txt").write_text(text.replace("市人大常委会认真贯彻落实全省", EVIL + "全省", 2),
                                        encoding="utf-8")
    root = corpus.parent / "browser-index"
    assert not update_index([corpus], root).skipped
    if not SEARCHKIT.exists():
        pytest.skip("the searchkit console script is not installed")
    proc = subprocess.Popen([str(SEARCHKIT), "serve", "--port", "0", "--index-dir", str(root)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "SEARCHKIT_LANG": "zh_CN.UTF-8"})
    line = proc.stdout.readline()
    match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)  # "Serving …" in the server's language
    if not match:
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"searchkit serve did not start: {line!r} {err!r}")
    yield match.group(1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err, err


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True, locale="zh-CN")
    page = context.new_page()
    page.problems = []  # dialogs (an alert would be XSS), CSP violations, script errors
    page.on("dialog", lambda d: (page.problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("pageerror", lambda e: page.problems.append(f"error: {e}"))
    page.on("console", lambda m: page.problems.append(f"console: {m.text}") if m.type == "error" else None)
    yield page
    context.close()


def fragment_requests(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if "fragment=1" in r.url else None)
    return seen


def test_typing_chinese_through_an_input_method_then_facet_record_and_csv(page, server, screenshots):
    page.goto(server)
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("button[type=submit]").inner_text() == "搜索"
    requests = fragment_requests(page)
    box = page.locator("#q")
    box.click()

    # Pinyin being composed: the page must not search "xi hu".
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.imeSetComposition", {"text": "xi", "selectionStart": 2, "selectionEnd": 2})
    cdp.send("Input.imeSetComposition", {"text": "xihu", "selectionStart": 4, "selectionEnd": 4})
    page.wait_for_timeout(600)
    assert requests == [], requests
    # The candidate chosen: composition ends, the results follow.
    with page.expect_response(lambda r: "fragment=1" in r.url):
        cdp.send("Input.insertText", {"text": "西湖区代表联络站"})
    page.wait_for_selector("article.hit")
    assert parse_qs(urlsplit(requests[-1]).query)["q"] == ["西湖区代表联络站"]
    assert "q=%E8%A5%BF%E6%B9%96" in page.url  # the address follows, to share or reload
    assert "理解为：西湖区 + 代表联络站" in page.locator(".understood").inner_text()
    assert page.locator(".tier-mark").count() >= 1
    page.screenshot(path=str(screenshots / "results-desktop.png"), full_page=True)

    # Ordinary typing (no input method) updates too.
    box.fill("")
    with page.expect_response(lambda r: "fragment=1" in r.url):
        box.type("代表")
    page.wait_for_function("document.querySelector('#q').value === '代表'")
    page.wait_for_selector("article.hit")

    # A facet filters on click.
    facet = page.locator(".facet[data-facet=district] a").first
    district = facet.inner_text()
    facet.click()
    page.wait_for_url(re.compile("district="))
    metas = page.locator("article.hit .meta").all_inner_texts()
    assert metas and all(district in m for m in metas), (district, metas)
    assert page.locator("a.chip").count() == 1

    # The CSV is the export's file, with the page's column names.
    csv_link = page.locator(".downloads a", has_text="CSV")
    with page.expect_download() as download:
        csv_link.click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith("\ufeff序号,编号,日期,期号".encode())
    with urllib.request.urlopen(server.rstrip("/") + csv_link.get_attribute("href"), timeout=10) as r:
        assert r.read() == data
    assert district in data.decode("utf-8-sig")

    # A record opens, with the query's matches marked and the other articles.
    first = page.locator("article.hit h2 a").first
    title = first.inner_text()
    first.click()
    page.wait_for_url(re.compile("/records/"))
    assert page.locator("h1").inner_text() == title
    assert page.locator(".body mark").count() >= 1
    assert page.locator(".issue-toc li").count() > 1
    assert "杭州人大信息" in page.locator(".cite").inner_text()
    assert page.problems == []


def test_without_javascript_the_form_still_searches(browser, server):
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    page.goto(server + "?lang=en")
    page.fill("#q", "西湖龙井")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"q=%E8%A5%BF%E6%B9%96%E9%BE%99%E4%BA%95"))
    assert page.locator("article.hit").count() >= 1
    assert "Understood as" in page.locator(".understood").inner_text()
    page.locator(".pager a, .facet a").first.click()
    assert page.locator("article.hit").count() >= 1
    context.close()


def test_markup_in_the_bulletin_stays_text(page, server):
    page.goto(server + "records/697-01")
    assert page.locator("h1").inner_text() == EVIL + "全省人大代表工作座谈会精神"
    page.goto(server + "?q=" + "全省人大代表工作座谈会精神")
    assert EVIL in page.locator("article.hit h2").first.inner_text()
    page.goto(server + "issues/697")
    assert EVIL in page.locator("table.contents").inner_text()
    page.goto(server + "?q=" + urllib.request.quote('"><img src=x onerror=alert(3)>"'))
    assert page.evaluate("document.images.length") == 0
    assert page.evaluate("document.querySelectorAll('script:not([src])').length") == 0
    assert page.problems == [], page.problems


def test_inline_script_is_refused_by_the_policy(page, server):
    """The Content-Security-Policy is enforced: a script injected into the page does not run."""
    page.goto(server)
    ran = page.evaluate("""() => {
        window.ran = false;
        const s = document.createElement('script');
        s.textContent = 'window.ran = true';
        document.body.appendChild(s);
        return window.ran;
    }""")
    assert ran is False


@pytest.mark.parametrize("name,viewport", [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots_of_the_result_page(browser, server, screenshots, name, viewport):
    context = browser.new_context(viewport=viewport, device_scale_factor=1, locale="zh-CN",
                                  is_mobile=name == "phone", has_touch=name == "phone")
    page = context.new_page()
    page.goto(server + "?q=" + urllib.request.quote("西湖区代表联络站"))
    page.wait_for_selector("article.hit")
    # Chinese is drawn with a CJK font: a character is about as wide as it is tall, not a box.
    width = page.evaluate("""() => {
        const s = document.createElement('span'); s.textContent = '人大代表联络站'; s.style.fontSize = '20px';
        document.body.appendChild(s); const w = s.getBoundingClientRect().width; s.remove(); return w; }""")
    assert 120 <= width <= 160, width
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{name}: the page is {overflow}px wider than the screen"
    page.screenshot(path=str(screenshots / f"results-{name}.png"), full_page=name == "desktop")
    page.goto(server + "records/692-03?q=" + urllib.request.quote("西湖区代表联络站"))
    page.screenshot(path=str(screenshots / f"record-{name}.png"))
    context.close()
