// The HTML dataset report (`predwatch dataset report PATH --format F --html OUT.html`): one
// self-contained file that opens offline — the page's HTML, the web view's stylesheet
// (app.css) plus report.css, and report.js, all inlined from the assets compiled into the
// binary (daemon/web/web_assets.h), and the data inlined as one JSON document in
// <script type="application/json" id="report-data">. A Content-Security-Policy meta tag
// forbids every fetch (default-src 'none'), so the page cannot load anything from anywhere.
//
// ReportImages collects, per image of the dataset (in import order), what the statistics
// tables cannot answer: which images are behind a cell. The JSON (docs/WEB.md "HTML report"):
//   "report": {"path", "format", "version", "kind"}: kind "dataset" (`dataset report --html`:
//     every image in "image_list") or "window" (`predwatch stats STREAM --html`: a live
//     window's tables, "image_list" empty — a window keeps exemplar frames, not every frame —
//     and "exemplars" (daemon/cli/window_exemplars.h), which clicks list instead),
//   the members of write_stats_members() (daemon/cli/stats_report.h): "images", "objects",
//     "classes", "cooccurrence", "objects_distribution", "per_image",
//   "layout": {"heatmap_grid", "size_bins", "max_objects_bucket"},
//   "class_names": [names by class id],
//   "class_tables": {"<class>": {"heatmap": [G*G box centres, row-major, row 0 at the top],
//                    "width", "height", "area": [size_bins; sqrt-scaled bins, StatsLayout]}},
//   "image_list": [{"name", "width", "height" (pixels, 0 when unknown), "objects",
//                   "classes" (distinct), "covered_pct" (exact union of the boxes clipped to
//                   the image, percent), "min_box_pct" (smallest box area, percent; null
//                   without boxes), "counts": {"<class>": objects},
//                   "boxes": [[class id, heatmap cell, x_min, y_min, x_max, y_max]]}]
//                   (coordinates normalised, rounded to 1e-4),
//   "suspicious": [{"image", "reason", "class", "detail"}], "problems": {...} as `--json`.
// Every '<' in the JSON is written as \u003c, so no string can close the <script> element.
//
// Not thread-safe; one per command invocation.
#pragma once

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/box_geometry.h"
#include "core/event.h"
#include "core/stats.h"
#include "core/stats_layout.h"
#include "daemon/common/json_writer.h"

namespace predwatch::daemon {

struct ReportBox {
  uint32_t name_id;  // index into ReportImages::names()
  uint32_t cell;     // StatsLayout::heatmap_cell of the box
  core::Box box;
  float score;  // the detection's confidence, or core::kNoConfidence
};

struct ReportImage {
  std::string name;
  uint32_t width = 0, height = 0;
  double covered = 0;  // fraction of the image under some box (boxes clipped to [0, 1])
  std::vector<ReportBox> boxes;
};

class ReportImages {
 public:
  explicit ReportImages(const core::StatsLayout& layout = {}) : layout_(layout) {}

  // Records one image (the event of a dataset importer, after class mapping).
  void add(const core::Event& event);

  const std::vector<ReportImage>& images() const { return images_; }
  // Class names as first seen; ReportBox::name_id indexes this.
  const std::vector<std::string>& names() const { return names_; }

 private:
  core::StatsLayout layout_;
  std::vector<ReportImage> images_;
  std::vector<std::string> names_;
  std::unordered_map<std::string, uint32_t> ids_;
  std::vector<core::Box> scratch_;
  core::UnionAreaScratch union_scratch_;
};

// Writes "layout", "class_names", "class_tables" and "image_list" (see above) into the
// object `w` has open. `class_names[i]` names class id i of `stats`.
void write_report_members(JsonWriter& w, const core::Stats& stats,
                          const std::vector<std::string>& class_names, const ReportImages& images);

// The whole HTML page around `json` (one JSON object, the report's data).
std::string render_html_report(const std::string& title, std::string json);

// Whether `path` can be written, without changing it (a file that does not exist yet is
// created and removed again). "" when it can, else the same kind of message as below.
std::string check_report_file(const std::string& path);

// Writes `html` to `path` (replacing it). On failure returns a message naming the path and
// the operating system's reason; "" on success.
std::string write_report_file(const std::string& path, const std::string& html);

}  // namespace predwatch::daemon
