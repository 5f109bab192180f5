#!/usr/bin/env python3
"""The HTML dataset report (`predwatch dataset report PATH --format coco --html OUT.html`) in
a real headless Chromium (Debian's chromium + chromium-driver, Selenium from python3-selenium),
opened from file:// with the network unused.

Checks, each able to fail; the expected numbers are recounted here from the COCO file with
Python's json module, not taken from predwatch:
  * the page renders with no console error and no uncaught exception;
  * the co-occurrence matrix holds the recounted number of images for a known pair and for
    the pair's classes, and its canvas is coloured at that cell;
  * clicking that cell lists exactly the images with both classes, and so does moving the
    keyboard cursor there and pressing Enter; clicking a class-balance row lists exactly the
    images with that class;
  * clicking the "objects" header of the per-image table puts an image with the most objects
    first (and again: one with the fewest);
  * the lift view and the name sort redraw without error;
  * with --predictions (COCO results, 0..79 class index, on the images of --data): the model
    errors section's confusion matrix holds, for a true class, the found / missed boxes of a
    one-to-one IoU >= 0.5 matching recounted here, and clicking the "missed" cell lists
    exactly the images with a missed box of that class.
Screenshots go to --out (test artifacts): report.png on load, report-cell.png after the cell
click (docs/images/report.png is one).

Exit status: 0 pass, 1 fail, 77 skipped (ctest SKIP_RETURN_CODE) when no Chromium is installed.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

SKIP = 77


class Failure(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


def clipped_boxes(path):
    """(file_name, class, width share, height share) of every box clipped to its image, those
    left without area dropped (the importers' rule for degenerate boxes), and the file names
    of all images."""
    with open(path) as f:
        gt = json.load(f)
    cats = {c["id"]: c["name"] for c in gt["categories"]}
    imgs = {i["id"]: i for i in gt["images"]}
    boxes = []
    for a in gt["annotations"]:
        img = imgs[a["image_id"]]
        x, y, w, h = a["bbox"]
        cw = min(x + w, img["width"]) - max(x, 0)
        ch = min(y + h, img["height"]) - max(y, 0)
        if cw > 0 and ch > 0:
            boxes.append((img["file_name"], cats[a["category_id"]], cw / img["width"],
                          ch / img["height"]))
    return boxes, [i["file_name"] for i in gt["images"]]


def recount(path):
    """{file_name: {class: objects}} of the clipped boxes."""
    boxes, names = clipped_boxes(path)
    out = {n: {} for n in names}
    for name, cls, _, _ in boxes:
        out[name][cls] = out[name].get(cls, 0) + 1
    return out


def area_bins(path, cls, bins=20):
    """{file_name: {area bin of each clipped `cls` box}}: bin = floor(bins * sqrt(area as a
    share of the image)), the last bin closed (core/stats_layout.h, size_bin)."""
    out = {}
    for name, c, w, h in clipped_boxes(path)[0]:
        if c == cls:
            out.setdefault(name, set()).add(min(bins - 1, int(bins * (w * h) ** 0.5)))
    return out


def check_confusion(d, js, wait, no_errors, panel_images, click_at, args, work):
    report = os.path.join(work, "predictions.html")
    r = subprocess.run([args.predwatch, "dataset", "report", args.predictions, "--format",
                        "coco-results", "--ground-truth", args.data, "--coco80", "--html", report],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, f"predwatch dataset report (predictions) failed: {r.stderr}")
    images, counts = recount_matching(args.data, args.predictions)
    cls = args.true_class
    found, missed = counts.get((cls, cls), 0), counts.get((cls, None), 0)
    check(found > 0 and missed > 0, f"the recount has no found and missed {cls}: pick another class")
    d.get("about:blank")
    d.get("file://" + report)
    wait("window.predwatchReport && window.predwatchReport.ready", "the predictions report")
    no_errors("predictions report")
    got = js("const m = window.predwatchReport.confusion;"
             "return [m.boxes(arguments[0], arguments[0]), m.boxes(arguments[0], null)]", cls)
    check(got == [found, missed], f"confusion matrix: {cls} found/missed {got}, recounted "
          f"{[found, missed]}")
    canvas = d.find_element("css selector", "#confusion-matrix")
    c = js("return window.predwatchReport.confusion.center(arguments[0], null)", cls)
    js("document.getElementById('images').dataset.state = ''")
    click_at(canvas, c["x"], c["y"])
    listed = panel_images(f"missed {cls}")
    want = sorted(images[(cls, None)])
    check(listed == want, f"clicking missed {cls} lists {len(listed)} images, recounted {len(want)}")
    js("document.getElementById('confusion-wrap').scrollTop = 0;"
       "document.getElementById('model-errors').scrollIntoView({block: 'start'})")
    d.save_screenshot(os.path.join(args.out, "report-predictions.png"))
    no_errors("confusion click")


COCO80 = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
          27, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50,
          51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 67, 70, 72, 73, 74, 75,
          76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90]  # tests/data/README.md


def recount_matching(gt_path, pred_path, min_score=0.5, min_iou=0.5):
    """{(truth class or None, predicted class or None): set of file names}, boxes counted in
    `counts`: predictions >= min_score and truth boxes (clipped, empty ones dropped) matched
    one-to-one by descending IoU (then score), any classes."""
    with open(gt_path) as f:
        gt = json.load(f)
    with open(pred_path) as f:
        preds = json.load(f)
    cats = {c["id"]: c["name"] for c in gt["categories"]}
    imgs = {i["id"]: {"img": i, "truth": [], "pred": []} for i in gt["images"]}

    def box(a, img):
        x, y, w, h = a["bbox"]
        b = (max(x, 0), max(y, 0), min(x + w, img["width"]), min(y + h, img["height"]))
        return b if b[2] > b[0] and b[3] > b[1] else None

    for a in gt["annotations"]:
        e = imgs[a["image_id"]]
        b = box(a, e["img"])
        if b:
            e["truth"].append((cats[a["category_id"]], b))
    for a in preds:
        e = imgs[a["image_id"]]
        b = box(a, e["img"])
        if b and a["score"] >= min_score:
            e["pred"].append((cats[COCO80[a["category_id"]]], b, a["score"]))

    def iou(p, q):
        iw = min(p[2], q[2]) - max(p[0], q[0])
        ih = min(p[3], q[3]) - max(p[1], q[1])
        if iw <= 0 or ih <= 0:
            return 0.0
        inter = iw * ih
        return inter / ((p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - inter)

    images, counts = {}, {}
    for e in imgs.values():
        cand = sorted((-iou(t[1], p[1]), -p[2], i, j) for i, t in enumerate(e["truth"])
                      for j, p in enumerate(e["pred"]) if iou(t[1], p[1]) >= min_iou)
        tu, pu = set(), set()
        cells = []
        for _, _, i, j in cand:
            if i in tu or j in pu:
                continue
            tu.add(i)
            pu.add(j)
            cells.append((e["truth"][i][0], e["pred"][j][0]))
        cells += [(t[0], None) for i, t in enumerate(e["truth"]) if i not in tu]
        cells += [(None, p[0]) for j, p in enumerate(e["pred"]) if j not in pu]
        for c in cells:
            images.setdefault(c, set()).add(e["img"]["file_name"])
            counts[c] = counts.get(c, 0) + 1
    return images, counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--predwatch", required=True, help="the predwatch CLI binary")
    ap.add_argument("--data", required=True, help="a COCO instances file")
    ap.add_argument("--pair", default="car,person", help="the known pair a,b checked")
    ap.add_argument("--out", required=True, help="directory for the screenshot")
    ap.add_argument("--predictions", help="COCO results (0..79 index) on --data's images")
    ap.add_argument("--true-class", default="person", help="the true class checked in the confusion matrix")
    args = ap.parse_args()

    chromium = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                     if shutil.which(n)), None)
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver"
                                              if os.path.exists("/usr/bin/chromedriver") else None)
    if not chromium or not driver:
        print(f"SKIP: no Chromium installed (chromium={chromium}, chromedriver={driver}); "
              "scripts/setup.sh installs chromium and chromium-driver")
        return SKIP
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.action_chains import ActionChains
    except ImportError:
        print("FAIL: Chromium is installed but Python's selenium is not (python3-selenium)")
        return 1
    os.makedirs(args.out, exist_ok=True)

    work = tempfile.mkdtemp(prefix="predwatch-report-")
    report = os.path.join(work, "report.html")
    d = None
    try:
        t0 = time.time()
        r = subprocess.run([args.predwatch, "dataset", "report", args.data, "--format", "coco",
                            "--html", report], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, f"predwatch dataset report failed ({r.returncode}): {r.stderr}")
        check(os.path.getsize(report) > 0, "the report is empty")

        truth = recount(args.data)
        a, b = args.pair.split(",")
        with_both = sorted(n for n, c in truth.items() if a in c and b in c)
        with_a = sorted(n for n, c in truth.items() if a in c)
        with_b = sorted(n for n, c in truth.items() if b in c)
        check(with_both, f"the data has no image with both {a} and {b}: pick another --pair")
        most = max(sum(c.values()) for c in truth.values())
        fewest = min(sum(c.values()) for c in truth.values())

        profile = os.path.join(work, "profile")
        opts = webdriver.ChromeOptions()
        opts.binary_location = chromium
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1600,1300", "--force-device-scale-factor=1",
                    f"--user-data-dir={profile}", "--no-first-run",
                    "--disable-background-networking", "--disable-extensions"):
            opts.add_argument(arg)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        d = webdriver.Chrome(service=Service(driver), options=opts)
        d.set_page_load_timeout(30)
        js = d.execute_script

        def wait(cond, what, timeout=15.0):
            end = time.time() + timeout
            while time.time() < end:
                if js("return !!(" + cond + ")"):
                    return
                time.sleep(0.05)
            raise Failure(f"timed out waiting for {what}")

        def no_errors(where):
            errors = js("return window.predwatchReport ? window.predwatchReport.errors : ['no report']")
            check(not errors, f"{where}: uncaught errors in the page: {errors}")
            logs = [e for e in d.get_log("browser") if e.get("level") in ("SEVERE", "ERROR")]
            check(not logs, f"{where}: console errors: {logs}")

        def panel_images(what):
            wait("document.getElementById('images').dataset.state === 'done'", f"the images of {what}")
            check(js("return !document.getElementById('images').hidden"), f"{what}: the panel is hidden")
            return sorted(js("return [...document.querySelectorAll('#images-list li')]"
                             ".map(li => li.dataset.image)"))

        def click_at(element, x, y):
            js("arguments[0].scrollIntoView({block: 'center', inline: 'center'})", element)
            rect = js("const r = arguments[0].getBoundingClientRect(); return {w: r.width, h: r.height}",
                      element)
            ActionChains(d).move_to_element_with_offset(
                element, int(round(x - rect["w"] / 2)), int(round(y - rect["h"] / 2))).click().perform()

        d.get("file://" + report)
        wait("window.predwatchReport && window.predwatchReport.ready", "the report to render")
        no_errors("load")
        d.save_screenshot(os.path.join(args.out, "report.png"))

        # The matrix's numbers for the pair and its classes.
        got = js("const m = window.predwatchReport.matrix;"
                 "return [m.count(arguments[0], arguments[1]), m.count(arguments[1], arguments[0]),"
                 "m.count(arguments[0], arguments[0]), m.count(arguments[1], arguments[1])]", a, b)
        check(got == [len(with_both), len(with_both), len(with_a), len(with_b)],
              f"matrix counts {got} for {a}+{b}, {a}, {b}; recounted "
              f"{[len(with_both), len(with_both), len(with_a), len(with_b)]}")
        drawn = js("return window.predwatchReport.matrix.drawn")
        pairs = {}
        for name, c in truth.items():
            for x in c:
                for y in c:
                    if x <= y:
                        pairs[(x, y)] = pairs.get((x, y), 0) + 1
        check({tuple(sorted((x, y))): n for x, y, n in drawn} == pairs,
              "the matrix's non-empty cells differ from the recount")

        # The cell is painted, and clicking it lists exactly the images with both.
        canvas = d.find_element("css selector", "#matrix")
        c = js("return window.predwatchReport.matrix.center(arguments[0], arguments[1])", a, b)
        pixel = js("const g = arguments[0].getContext('2d');"
                   "return [...g.getImageData(arguments[1], arguments[2], 1, 1).data]",
                   canvas, int(c["x"]), int(c["y"]))
        check(pixel[:3] != [255, 255, 255], f"the cell {a}+{b} is not coloured ({pixel})")
        click_at(canvas, c["x"], c["y"])
        listed = panel_images(f"{a} + {b}")
        check(listed == with_both, f"clicking {a}+{b} lists {len(listed)} images, recounted "
              f"{len(with_both)}: {sorted(set(listed) ^ set(with_both))[:5]}")
        title = js("return document.getElementById('images-title').textContent")
        check(a in title and b in title, f"the panel's title is {title!r}")
        js("document.getElementById('matrix-wrap').scrollTop = 0;"
           "document.getElementById('cooccurrence').scrollIntoView({block: 'start'})")
        d.save_screenshot(os.path.join(args.out, "report-cell.png"))
        no_errors("matrix click")

        # The keyboard does the same: Home, arrows to the cell, Enter.
        from selenium.webdriver.common.keys import Keys
        names = js("return window.predwatchReport.matrix.names")
        js("document.getElementById('images').dataset.state = ''")
        canvas.send_keys(Keys.HOME)
        canvas.send_keys(*([Keys.ARROW_DOWN] * names.index(a) + [Keys.ARROW_RIGHT] * names.index(b)))
        cursor = js("return window.predwatchReport.matrix.cursor")
        check(cursor == {"a": a, "b": b}, f"the keyboard cursor is on {cursor}, not {a}+{b}")
        canvas.send_keys(Keys.ENTER)
        listed = panel_images(f"{a} + {b} (keyboard)")
        check(listed == with_both, f"Enter on {a}+{b} lists {len(listed)} images, recounted {len(with_both)}")

        # A class-balance row lists the images with the class.
        js("document.getElementById('images').dataset.state = ''")
        row = d.find_element("css selector", f"#balance-table tr[data-cls='{a}']")
        js("arguments[0].scrollIntoView({block: 'center'})", row)
        row.click()
        listed = panel_images(a)
        check(listed == with_a, f"the {a} row lists {len(listed)} images, recounted {len(with_a)}")

        # A bar of the area histogram lists the images with a box of the class in that bin
        # (the fullest bin of class a, recounted from the annotation file).
        by_image = area_bins(args.data, a)
        per_bin = {}
        for name, ks in by_image.items():
            for k in ks:
                per_bin.setdefault(k, set()).add(name)
        k = max(per_bin, key=lambda b: len(per_bin[b]))
        js("const s = document.getElementById('sizes-class'); s.value = arguments[0];"
           "s.dispatchEvent(new Event('change'))", a)
        js("document.getElementById('images').dataset.state = ''")
        bar = d.find_element("css selector", f"#area-histogram .col[data-index='{k}']")
        js("arguments[0].scrollIntoView({block: 'center'})", bar)
        bar.click()
        listed = panel_images(f"{a} area bin {k}")
        check(listed == sorted(per_bin[k]), f"the {a} area bar {k} lists {len(listed)} images, "
              f"recounted {len(per_bin[k])}: {sorted(set(listed) ^ per_bin[k])[:5]}")

        # Sorting the per-image table by objects: most first, then fewest first.
        def first_row():
            return js("const r = document.querySelector('#image-table tbody tr');"
                      "return [r.dataset.image, Number(r.children[1].textContent.replace(/,/g, ''))]")

        header = d.find_element("css selector", "#image-table th[data-key='objects']")
        js("arguments[0].scrollIntoView({block: 'center'})", header)
        header.click()
        name, n = first_row()
        check(n == most and sum(truth[name].values()) == most,
              f"sorted by objects, the first image is {name} with {n} objects; the most is {most}")
        d.find_element("css selector", "#image-table th[data-key='objects']").click()
        name, n = first_row()
        check(n == fewest and sum(truth[name].values()) == fewest,
              f"sorted again, the first image is {name} with {n} objects; the fewest is {fewest}")

        # The other views draw.
        for option in ("lift", "name"):
            d.find_element("css selector", f"#cooccurrence a[data-option='{option}']").click()
        check(js("const m = window.predwatchReport.matrix; return m.view === 'lift' && m.sort === 'name'"),
              "the matrix did not switch to lift / name")
        no_errors("after clicks")

        if args.predictions:
            check_confusion(d, js, wait, no_errors, panel_images, click_at, args, work)
        print(f"PASS ({time.time() - t0:.1f} s; {len(truth)} images, {a}+{b} on {len(with_both)})")
        return 0
    except Failure as e:
        print(f"FAIL: {e}")
        if d:
            d.save_screenshot(os.path.join(args.out, "report-failure.png"))
        return 1
    except Exception:
        traceback.print_exc()
        return 1
    finally:
        if d:
            d.quit()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
