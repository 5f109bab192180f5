// Rendering one core::Stats for people (aligned tables, terminal heatmaps) and for scripts
// (one JSON object). `predwatch dataset report` prints a dataset's statistics with these, and
// `predwatch stats --json` prints a window's statistics with the same functions, so both
// commands have one output shape.
//
// JSON members written by write_stats_members() (docs: README "Command line"):
//   "images": N, "objects": N,
//   "classes": [{"name", "images", "objects", "avg_count_on_image", "avg_area_pct"
//                [, "mean_confidence"]}]   sorted by images desc, then objects desc, then name;
//              mean_confidence only when some detection in the stats carries a score (null for
//              a class without scored detections); averages are null for a class on no image
//   "cooccurrence": [{"a", "b", "images"}]  every pair with images > 0, a < b by name, sorted
//              by images desc, then a, then b
//   "objects_distribution": {"<class>": {"<count>": images}}  count keys are decimal numbers
//              in ascending order; "0" (images without the class) is always present, other
//              buckets only when non-zero; the last bucket of the layout is ">=M" (M =
//              StatsLayout::max_objects_bucket, 20 by default) and means "M or more"
//   "per_image": {"objects": {...}, "classes": {...}, "covered_area_pct": {"lo-hi": images}}
//              objects / distinct classes per image (same key rule, last ">=M", only non-zero
//              buckets) and the covered-area histogram ([lo, hi) percent, non-zero bins only)
//
// Class names: names[c] names ClassId c; a class without a name is shown as "#c".
// Pure functions of their arguments; thread-compatible.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/stats.h"
#include "core/suspicious.h"
#include "daemon/common/json_writer.h"

namespace predwatch::daemon {

struct StatsReportOptions {
  bool class_balance = true;
  bool cooccurrence = true;
  bool objects_distribution = true;
  bool per_image = true;
  size_t max_classes = 0;       // rows of the class balance and distribution (0 = every class)
  size_t top_pairs = 15;        // co-occurring pairs listed
  size_t heatmap_classes = 12;  // co-occurrence heatmap over the N classes on most images (0: none)
};

// Class ids ordered as the reports list them: images desc, objects desc, name asc.
std::vector<core::ClassId> classes_by_images(const core::Stats& stats,
                                             const std::vector<std::string>& names);

// The tables as text, each with a title line, separated by blank lines.
std::string render_stats_tables(const core::Stats& stats, const std::vector<std::string>& names,
                                const StatsReportOptions& options = {});

// Writes the members listed above into the object `w` has open.
void write_stats_members(JsonWriter& w, const core::Stats& stats,
                         const std::vector<std::string>& names);

// One JSON object: the members above, then whatever `extra` writes (more members).
std::string stats_report_json(const core::Stats& stats, const std::vector<std::string>& names,
                              const std::function<void(JsonWriter&)>& extra = {});

// Suspicious findings: counts by reason, then the first `max_rows` records as a table.
std::string render_suspicious_summary(std::span<const core::SuspiciousRecord> records,
                                      size_t max_rows = 10);

// Writes an array of {"image", "reason", "class", "detail"} objects.
void write_suspicious(JsonWriter& w, std::span<const core::SuspiciousRecord> records);

}  // namespace predwatch::daemon
