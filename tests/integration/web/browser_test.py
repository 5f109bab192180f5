#!/usr/bin/env python3
"""The web view in a real headless Chromium (Debian's chromium + chromium-driver, driven by
Selenium from python3-selenium), against predwatch_web_test_server's known dataset
(web_test_server_main.cc).

Checks, each able to fail:
  * every page (streams, a window in each matrix view, alerts, the 1,000-class window) loads
    and renders with no console error, no uncaught exception and no failed request;
  * the co-occurrence matrix shows exactly the cells of the API's answer: the page's model
    (window.predwatch.matrix.drawn) equals the pairs and class counts of /api/v1/stats, and
    the canvas pixel at every cell's centre is coloured iff that cell is non-zero;
  * the lift view paints the novel pair (dog + umbrella, never in the baseline) magenta;
  * clicking a matrix cell, a class-balance row, a heatmap cell and an objects-per-image bar
    lists the same frames, in the same order, as /api/v1/exemplars for that cell;
  * the alerts page lists the API's alerts; the stream list links every stream;
  * the 1,000-class window renders its matrix within the time budget.
Screenshots of every page go to --out (test artifacts).

Exit status: 0 pass, 1 fail, 77 skipped (ctest SKIP_RETURN_CODE) when no Chromium is
installed — scripts/setup.sh installs it, so CI runs this test.
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
import urllib.request

SKIP = 77


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Failure(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


class Browser:
    def __init__(self, binary, driver, base, out):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.base = base
        self.out = out
        self.profile = tempfile.mkdtemp(prefix="predwatch-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = binary
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--window-size=1600,1300", "--force-device-scale-factor=1",
                  f"--user-data-dir={self.profile}", "--no-first-run",
                  "--disable-background-networking", "--disable-extensions"):
            opts.add_argument(a)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.d = webdriver.Chrome(service=Service(driver), options=opts)
        self.d.set_page_load_timeout(30)

    def close(self):
        try:
            self.d.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def wait(self, cond_js, what, timeout=15.0):
        end = time.time() + timeout
        while time.time() < end:
            if self.js("return !!(" + cond_js + ")"):
                return
            time.sleep(0.05)
        raise Failure(f"timed out after {timeout:.0f} s waiting for {what}")

    def open(self, route, name):
        """Loads base/#route fresh and waits for the first complete render."""
        self.d.get("about:blank")
        self.d.get(self.base + "/" + route)
        self.wait("window.predwatch && window.predwatch.lastRender", f"{route} to render")
        self.screenshot(name)
        self.no_errors(route)

    def go(self, route):
        """Changes the hash (no reload) and waits for the render of that very route."""
        before = self.js("return window.predwatch.lastRender")
        self.js("location.hash = arguments[0]", route)
        self.wait(f"window.predwatch.lastRender > {before} && "
                  f"window.predwatch.renderedHash === {json.dumps(route)}", f"{route} to render")

    def screenshot(self, name):
        path = os.path.join(self.out, name + ".png")
        self.d.save_screenshot(path)
        print(f"screenshot: {path}")

    def no_errors(self, where):
        errors = self.js("return window.predwatch.errors")
        check(not errors, f"{where}: uncaught errors in the page: {errors}")
        logs = [e for e in self.d.get_log("browser") if e.get("level") in ("SEVERE", "ERROR")]
        check(not logs, f"{where}: console errors: {logs}")
        status = self.js("return document.getElementById('status').className")
        check("error" not in status, f"{where}: the page shows an error: "
              + self.js("return document.getElementById('status').textContent"))

    def exemplar_ids(self, what):
        self.wait("document.getElementById('exemplars').dataset.state === 'done'",
                  f"the exemplars of {what}")
        return self.js("return [...document.querySelectorAll('#ex-list li')]"
                       ".map(li => li.dataset.frameId)")

    def click(self, css, x=None, y=None):
        """Clicks the element matching `css` (at (x, y) CSS pixels from its top-left corner,
        or its centre) like a user. The live refresh re-creates elements every few seconds;
        an element replaced between finding and clicking is found again."""
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.common.action_chains import ActionChains
        self.js("const e = document.getElementById('exemplars'); if (e) e.dataset.state = ''")
        for attempt in range(5):
            try:
                element = self.d.find_element("css selector", css)
                self.js("arguments[0].scrollIntoView({block: 'center', inline: 'center'})", element)
                if x is None:
                    element.click()
                    return
                rect = self.js("const r = arguments[0].getBoundingClientRect();"
                               "return {w: r.width, h: r.height}", element)
                # W3C actions: offsets from the element's centre.
                ActionChains(self.d).move_to_element_with_offset(
                    element, int(round(x - rect["w"] / 2)), int(round(y - rect["h"] / 2))).click().perform()
                return
            except StaleElementReferenceException:
                if attempt == 4:
                    raise


def api(base, path):
    with urllib.request.urlopen(base + path, timeout=10) as r:
        return json.load(r)


def exemplars_api(base, stream, window, query):
    r = api(base, f"/api/v1/exemplars?stream={urllib.parse.quote(stream)}"
                  f"&window={urllib.parse.quote(window)}&{query}&limit=100")
    return [e["frame_id"] for e in r.get("exemplars", [])]


def expected_cells(stats):
    """{(a, b): count} of every non-zero cell with a <= b: pairs and the diagonal."""
    cells = {}
    for c in stats["stats"]["classes"]:
        if int(c["images"]) > 0:
            cells[(c["name"], c["name"])] = int(c["images"])
    for p in stats["stats"].get("pairs", []):
        a, b = sorted((p["a"], p["b"]))
        cells[(a, b)] = int(p["images"])
    return cells


def cam_frame(i):
    """The classes of cam's frame i (web_test_server_main.cc)."""
    k = i % 50
    if k < 20:
        return ["person", "car"]
    if k < 30:
        return ["person", "person", "dog"]
    if k < 35:
        return ["dog", "umbrella"]
    if k < 43:
        return ["bicycle"]
    return ["car", "car", "car"]


def recount(frames):
    """{(a, b): frames with both} (a <= b; (a, a): frames with a), recounted here."""
    cells = {}
    for classes in frames:
        present = sorted(set(classes))
        for x in present:
            for y in present:
                if x <= y:
                    cells[(x, y)] = cells.get((x, y), 0) + 1
    return cells


def test_matrix(b, base):
    stats = api(base, "/api/v1/stats?stream=cam&window=all&section=class_balance&section=cooccurrence")
    want = expected_cells(stats)
    # The window holds frames 60..499 (evaluated an hour after frame 0).
    recounted = recount(cam_frame(i) for i in range(60, 500))
    check(want == recounted, f"the API's cells {want} differ from the dataset's {recounted}")
    for view in ("window", "baseline", "lift"):
        for sort in ("frequency", "name", "baseline"):
            b.go(f"#/stream/cam/window/all?view={view}&sort={sort}")
            m = b.js("const m = window.predwatch.matrix;"
                     "return {view: m.view, sort: m.sort, names: m.names, drawn: m.drawn}")
            check(m["view"] == view and m["sort"] == sort, f"matrix view/sort not applied: {m}")
            if view != "window":
                continue
            drawn = {}
            for c in m["drawn"]:
                a, bb = sorted((c["a"], c["b"]))
                drawn[(a, bb)] = c["count"]
            check(drawn == want, f"sort={sort}: the matrix draws {drawn}, the API says {want}")
            # Every cell's pixel: coloured iff the cell is non-zero.
            pixels = b.js("""
                const m = window.predwatch.matrix, c = document.getElementById('matrix');
                const g = c.getContext('2d'), s = c.width / parseFloat(c.style.width);
                const out = [];
                for (const a of m.names) for (const bb of m.names) {
                  const p = m.center(a, bb);
                  const d = g.getImageData(Math.floor(p.x * s), Math.floor(p.y * s), 1, 1).data;
                  out.push([a, bb, d[0], d[1], d[2]]);
                }
                return out;""")
            for a, bb, r, g, bl in pixels:
                key = tuple(sorted((a, bb)))
                white = (r, g, bl) == (255, 255, 255)
                check(white == (key not in want),
                      f"sort={sort}: cell {a} x {bb} is rgb({r},{g},{bl}) but its count is "
                      f"{want.get(key, 0)}")
            if sort == "name":
                check(m["names"] == sorted(m["names"]), f"sort=name: order {m['names']}")
            if sort == "frequency":
                images = {c["name"]: int(c["images"]) for c in stats["stats"]["classes"]}
                order = [images[n] for n in m["names"]]
                check(order == sorted(order, reverse=True), f"sort=frequency: {m['names']}")
        b.screenshot(f"window-{view}")
    # Lift: the novel pair is magenta; a pair the window shows less often is bluish.
    b.go("#/stream/cam/window/all?view=lift&sort=name")
    rgb = b.js("""
        const m = window.predwatch.matrix, c = document.getElementById('matrix');
        const g = c.getContext('2d'), s = c.width / parseFloat(c.style.width);
        const px = (a, bb) => { const p = m.center(a, bb);
          return [...g.getImageData(Math.floor(p.x * s), Math.floor(p.y * s), 1, 1).data].slice(0, 3); };
        return {novel: px('dog', 'umbrella'), person_bicycle: px('bicycle', 'person')};""")
    check(rgb["novel"] == [200, 0, 200], f"lift: dog+umbrella should be magenta, is {rgb['novel']}")
    r, g, bl = rgb["person_bicycle"]
    check(bl > r, f"lift: bicycle+person (in the baseline, not in the window) should be blue, "
                  f"is {rgb['person_bicycle']}")
    b.no_errors("matrix views")


def test_clicks(b, base):
    b.go("#/stream/cam/window/all?view=window&sort=name")
    for a, bb, query in (("dog", "umbrella", "a=dog&b=umbrella"),
                         ("person", "car", "a=car&b=person"),
                         ("bicycle", "bicycle", "class=bicycle")):
        p = b.js("return window.predwatch.matrix.center(arguments[0], arguments[1])", a, bb)
        b.click("#matrix", p["x"], p["y"])
        got = b.exemplar_ids(f"cell {a} x {bb}")
        want = exemplars_api(base, "cam", "all", query)
        check(want, f"the API has no exemplars for {query}")
        check(got == want, f"cell {a} x {bb}: the page lists {got[:5]}…, the API {want[:5]}…")
        title = b.js("return document.getElementById('ex-title').textContent")
        check(a in title and bb in title, f"exemplar panel title '{title}' names the cell")
    # dog + umbrella frames carry an image URI (a data: SVG): the panel shows the images.
    p = b.js("return window.predwatch.matrix.center('dog', 'umbrella')")
    b.click("#matrix", p["x"], p["y"])
    b.exemplar_ids("cell dog x umbrella")
    b.wait("[...document.querySelectorAll('#ex-list img')].length > 0 && "
           "[...document.querySelectorAll('#ex-list img')].every(i => i.complete && i.naturalWidth === 64)",
           "the exemplar images to load")
    uris = b.js("return [...document.querySelectorAll('#ex-list img')].map(i => i.getAttribute('src'))")
    api_uris = [e["image_uri"] for e in api(base, "/api/v1/exemplars?stream=cam&window=all&a=dog&b=umbrella&limit=100")["exemplars"]]
    check(uris == api_uris and all(u.startswith("data:image/svg+xml") for u in uris),
          f"exemplar images: page {uris[:2]}, API {api_uris[:2]}")
    b.screenshot("window-exemplars")
    # A class-balance row.
    b.click("#balance-table tr[data-cls='umbrella']")
    got = b.exemplar_ids("the umbrella row")
    check(got == exemplars_api(base, "cam", "all", "class=umbrella"), f"umbrella row: {got[:5]}")
    b.wait("window.predwatch.lastRender && location.hash.includes('class=umbrella')",
           "the class to be selected")
    # An objects-per-image bar: car, 3 on a frame.
    b.go("#/stream/cam/window/all?class=car")
    b.click("#objects-histogram .col[data-count='3']")
    got = b.exemplar_ids("car x3 bar")
    want = exemplars_api(base, "cam", "all", "class=car&count=3")
    check(len(want) > 0 and got == want, f"car x3 bar: page {got[:5]}, API {want[:5]}")
    check(all(int(f.split("-")[1]) % 50 >= 43 for f in got),
          f"car x3 frames are cam-i with i % 50 >= 43, got {got[:5]}")
    # A live refresh with unchanged data keeps the elements under the pointer: redrawn, a
    # click whose press and release straddle the refresh would reach neither element.
    kept = ["#heatmap-window", "#objects-histogram .col[data-count='3']",
            "#balance-table tr[data-cls='car']", "#class-select", "#confidence-histogram .col"]
    b.js("arguments[0].forEach(css => { document.querySelector(css).dataset.kept = 'yes'; });"
         "window.predwatch.markedAt = window.predwatch.lastRender", kept)
    b.wait("window.predwatch.lastRender > window.predwatch.markedAt", "a live refresh")
    redrawn = [css for css in kept if b.js("return document.querySelector(arguments[0]).dataset.kept", css) != "yes"]
    check(not redrawn, f"a refresh with unchanged data redrew {redrawn}")
    # A heatmap cell: the cell of car's first box centre.
    hm = api(base, "/api/v1/stats?stream=cam&window=all&section=heatmaps&class=car")
    car = hm["stats"]["classes"][0]
    g = int(hm["stats"]["layout"]["heatmap_grid"])
    idx = max(range(len(car["heatmap"])), key=lambda i: int(car["heatmap"][i]))
    row_, col_ = divmod(idx, g)
    px = b.js("return document.getElementById('heatmap-window').width") / g
    b.click("#heatmap-window", col_ * px + px / 2, row_ * px + px / 2)
    got = b.exemplar_ids(f"car heatmap cell {row_},{col_}")
    want = exemplars_api(base, "cam", "all", f"class=car&row={row_}&col={col_}")
    check(len(want) > 0 and got == want, f"heatmap cell: page {got[:5]}, API {want[:5]}")
    check(b.js("return !!document.getElementById('heatmap-diff')"),
          "the difference heatmap is shown (the stream has a baseline)")
    b.screenshot("window-class-car")
    # Box sizes and confidence: every car box has confidence 0.9f, so the window's bars are
    # all in its bin (0.9f is just below 0.9: bin 17 of 20).
    conf_bin = int(struct.unpack("f", struct.pack("f", 0.9))[0] * 20)
    heights = b.js("return [...document.querySelectorAll('#confidence-histogram .col')]"
                   ".map(c => parseFloat(c.querySelector('.bar-w').style.height))")
    check(len(heights) == 20 and heights[conf_bin] > 0
          and all(h == 0 for i, h in enumerate(heights) if i != conf_bin),
          f"confidence histogram of car: {heights} (bin {conf_bin} expected)")
    check(b.js("return document.querySelectorAll('#area-histogram .col').length") > 0,
          "the area histogram is shown")
    # Its bars list their frames: every car box is in confidence bin 17, so that bin's frames
    # are the car frames (the class's own exemplars) and the API agrees with the page.
    b.click(f"#confidence-histogram .col:nth-child({conf_bin + 1})")
    got = b.exemplar_ids(f"car confidence bin {conf_bin}")
    want = exemplars_api(base, "cam", "all", f"class=car&histogram=confidence&bin={conf_bin}")
    check(len(want) > 0 and got == want, f"confidence bar: page {got[:5]}, API {want[:5]}")
    check(want == exemplars_api(base, "cam", "all", "class=car"),
          "the frames of car's only confidence bin are car's frames")
    check(exemplars_api(base, "cam", "all", f"class=car&histogram=confidence&bin={conf_bin - 1}") == [],
          "an empty confidence bin has no frames")
    # The tallest area bar (all car boxes are 0.1 x 0.15 of the image).
    tallest = b.js("const h = [...document.querySelectorAll('#area-histogram .col')]"
                   ".map(c => parseFloat(c.querySelector('.bar-w').style.height));"
                   "return h.indexOf(Math.max(...h))")
    b.click(f"#area-histogram .col:nth-child({tallest + 1})")
    got = b.exemplar_ids(f"car area bin {tallest}")
    want = exemplars_api(base, "cam", "all", f"class=car&histogram=area&bin={tallest}")
    check(len(want) > 0 and got == want, f"area bar: page {got[:5]}, API {want[:5]}")
    # Keyboard: the matrix takes focus, arrows move a cursor, Enter lists the cell's frames.
    from selenium.webdriver.common.keys import Keys
    b.go("#/stream/cam/window/all?view=window&sort=name&class=car")
    canvas = b.d.find_element("id", "matrix")
    b.js("arguments[0].focus()", canvas)
    b.js("document.getElementById('exemplars').dataset.state = ''")
    canvas.send_keys(Keys.HOME, Keys.ARROW_DOWN, Keys.ARROW_DOWN, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT,
                     Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ENTER)
    got = b.exemplar_ids("the keyboard's cell")
    want = exemplars_api(base, "cam", "all", "a=dog&b=umbrella")
    check(got == want, f"keyboard (dog, umbrella): page {got[:5]}, API {want[:5]}")
    check(b.js("return getComputedStyle(document.getElementById('matrix-cursor')).display") == "block",
          "the keyboard cursor is shown")
    # Escape closes the panel.
    from selenium.webdriver.common.keys import Keys
    b.d.find_element("tag name", "body").send_keys(Keys.ESCAPE)
    check(b.js("return document.getElementById('exemplars').hidden"), "Escape closes the panel")
    b.no_errors("clicks")


def test_drift_and_alerts(b, base):
    drift = api(base, "/api/v1/drift?stream=cam&window=all")
    flagged = [s for s in drift["scores"] if s["flagged"] and s.get("note") != "secondary"]
    check(flagged, "the dataset yields flagged drift findings")
    rows = b.js("return [...document.querySelectorAll('#drift-table tbody tr')].map(r => r.textContent)")
    novel = [r for r in rows if r.startswith("novel_pair") and "dog + umbrella" in r]
    check(novel, f"the drift table lists novel_pair dog + umbrella; rows: {rows[:5]}")
    alerts = api(base, "/api/v1/alerts")["alerts"]
    check(alerts, "the dataset raises alerts")
    b.open("#/alerts", "alerts")
    shown = b.js("return [...document.querySelectorAll('#alerts-table tbody tr')]"
                 ".map(r => r.dataset.fingerprint)")
    check(sorted(shown) == sorted(a["fingerprint"] for a in alerts),
          f"alerts page shows {shown}, the API {[a['fingerprint'] for a in alerts]}")
    # The timeline: every alert listed now and every alert of the server's transitions (also
    # those that resolved or were dropped before the page opened).
    history = api(base, "/api/v1/alerts/history?limit=1000").get("transitions", [])
    check(history, "the server kept the transitions that raised the alerts")
    known = {a["fingerprint"] for a in alerts} | {t["alert"]["fingerprint"] for t in history}
    rows = b.js("return [...document.querySelectorAll('#alert-timeline g.row')].map(g => g.dataset.fingerprint)")
    check(sorted(rows) == sorted(known), f"the timeline has a row per alert: {rows}, want {sorted(known)}")
    b.go("#/alerts?stream=big")
    shown = b.js("return document.querySelectorAll('#alerts-table tbody tr').length")
    check(shown == len([a for a in alerts if a["stream"] == "big"]), "alerts filtered by stream")
    b.no_errors("alerts")


def test_streams(b, base):
    b.open("#/streams", "streams")
    streams = sorted(s["stream"] for s in api(base, "/api/v1/streams")["streams"])
    shown = b.js("return [...document.querySelectorAll('#streams-table tbody tr')]"
                 ".map(r => r.dataset.stream)")
    check(shown == streams, f"streams page shows {shown}, the API {streams}")
    link = b.js("return document.querySelector(\"#streams-table tr[data-stream='cam'] a\").getAttribute('href')")
    check(link == "#/stream/cam/window/all", f"cam links to its window: {link}")
    b.no_errors("streams")


def test_big(b, base, budget_s):
    t0 = time.time()
    b.open("#/stream/big/window/all?view=lift", "window-1000-classes")
    elapsed = time.time() - t0
    n = b.js("return window.predwatch.matrix.names.length")
    check(n == 1000, f"the big stream's matrix has {n} classes, not 1000")
    stats = api(base, "/api/v1/stats?stream=big&window=all&section=class_balance&section=cooccurrence")
    b.go("#/stream/big/window/all?view=window")
    drawn = b.js("return window.predwatch.matrix.drawn.length")
    check(drawn == len(expected_cells(stats)),
          f"1000 classes: {drawn} cells drawn, the API has {len(expected_cells(stats))}")
    # One re-render of the whole page (four API calls, a 1000x1000 canvas).
    t1 = time.time()
    b.go("#/stream/big/window/all?view=lift&sort=name")
    rerender = time.time() - t1
    print(f"1000 classes: first load {elapsed:.2f} s, re-render {rerender:.2f} s")
    check(rerender < budget_s, f"1000 classes: a re-render took {rerender:.2f} s (budget {budget_s} s)")
    # The live refresh (every 3 s) keeps the reader's place in a long table.
    b.js("document.querySelector('#balance-table').parentElement.scrollTop = 600")
    last = b.js("return window.predwatch.lastRender")
    b.wait(f"window.predwatch.lastRender > {last}", "a live refresh", timeout=10)
    top = b.js("return document.querySelector('#balance-table').parentElement.scrollTop")
    check(abs(top - 600) < 2, f"the class-balance table scrolled back to {top} after a refresh")
    b.no_errors("1000 classes")


def test_window_report(b, base, cli, grpc_addr, out):
    """`predwatch stats cam -w all --html`: the window's report, opened from file://, lists
    the exemplars of a matrix cell, a class row and a size bar as the live API does."""
    report = os.path.abspath(os.path.join(out, "window-report.html"))
    p = subprocess.run([cli, "stats", "cam", "-w", "all", "--html", report, "--addr", grpc_addr],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, f"predwatch stats --html exited {p.returncode}: {p.stderr}")
    b.d.get("file://" + report)
    b.wait("window.predwatchReport && window.predwatchReport.ready", "the window report to render")

    def listed(what):
        b.wait("document.getElementById('images').dataset.state === 'done'", f"the frames of {what}")
        return b.js("return [...document.querySelectorAll('#images-list li')].map(li => li.dataset.frameId)")

    c = b.js("return window.predwatchReport.matrix.center('dog', 'umbrella')")
    b.js("document.getElementById('images').dataset.state = ''")
    b.click("#matrix", c["x"], c["y"])
    got, want = listed("dog + umbrella"), exemplars_api(base, "cam", "all", "a=dog&b=umbrella")
    check(want and got == want, f"report cell dog+umbrella: {got}, the API {want}")
    b.js("document.getElementById('images').dataset.state = ''")
    b.click("#balance-table tr[data-cls='bicycle']")
    got, want = listed("bicycle"), exemplars_api(base, "cam", "all", "class=bicycle")
    check(want and got == want, f"report row bicycle: {got}, the API {want}")
    # car's fullest area bar (the sizes section draws the first class of its picker).
    b.js("const s = document.getElementById('sizes-class'); s.value = 'car';"
         "s.dispatchEvent(new Event('change'))")
    tallest = b.js("const h = [...document.querySelectorAll('#area-histogram .col')]"
                   ".map(c => parseFloat(c.querySelector('.bar-w').style.height));"
                   "return h.indexOf(Math.max(...h))")
    b.js("document.getElementById('images').dataset.state = ''")
    b.click(f"#area-histogram .col:nth-child({tallest + 1})")
    got = listed("car area bar")
    want = exemplars_api(base, "cam", "all", f"class=car&histogram=area&bin={tallest}")
    check(want and got == want, f"report area bar {tallest} of car: {got}, the API {want}")
    errors = b.js("return window.predwatchReport.errors || []")
    check(not errors, f"the window report logged errors: {errors}")
    b.screenshot("window-report")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True, help="predwatch_web_test_server binary")
    ap.add_argument("--out", required=True, help="directory for the screenshots")
    ap.add_argument("--budget", type=float, default=5.0, help="seconds for a 1000-class re-render")
    ap.add_argument("--cli", required=True, help="predwatch binary (stats --html)")
    args = ap.parse_args()

    chromium = find_chromium()
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver"
                                              if os.path.exists("/usr/bin/chromedriver") else None)
    if not chromium or not driver:
        print("SKIP: no Chromium (chromium, chromium-driver) installed; scripts/setup.sh installs "
              f"them (found chromium={chromium}, chromedriver={driver})")
        return SKIP
    try:
        import selenium  # noqa: F401
    except ImportError:
        print("FAIL: Chromium is installed but Python's selenium is not (scripts/setup.sh "
              "installs python3-selenium); run this test with /usr/bin/python3")
        return 1
    os.makedirs(args.out, exist_ok=True)
    for f in os.listdir(args.out):  # no stale screenshot from an earlier run
        if f.endswith(".png"):
            os.remove(os.path.join(args.out, f))

    server = subprocess.Popen([args.server], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    browser = None
    try:
        line = server.stdout.readline().split()
        if len(line) != 2 or line[0] != "web":
            print(f"FAIL: the test server printed {line}")
            return 1
        base = f"http://127.0.0.1:{line[1]}"
        grpc_line = server.stdout.readline().split()
        if len(grpc_line) != 2 or grpc_line[0] != "grpc":
            print(f"FAIL: the test server printed {grpc_line}")
            return 1
        grpc_addr = f"127.0.0.1:{grpc_line[1]}"
        print(f"server at {base}; chromium {chromium}")
        browser = Browser(chromium, driver, base, args.out)
        test_streams(browser, base)
        browser.open("#/stream/cam/window/all", "window")
        test_matrix(browser, base)
        test_clicks(browser, base)
        browser.go("#/stream/cam/window/all")
        test_drift_and_alerts(browser, base)
        test_big(browser, base, args.budget)
        test_window_report(browser, base, args.cli, grpc_addr, args.out)
        print("PASS")
        return 0
    except Failure as e:
        print(f"FAIL: {e}")
        if browser:
            browser.screenshot("failure")
        return 1
    except Exception:
        traceback.print_exc()
        if browser:
            try:
                browser.screenshot("failure")
            except Exception:
                pass
        return 1
    finally:
        if browser:
            browser.close()
        server.stdin.close()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    sys.exit(main())
