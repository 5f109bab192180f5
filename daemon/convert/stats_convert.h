// Conversions between core statistics and their protobuf form (proto/predwatch/v1/
// stats.proto). Used by baseline files and the gRPC API, so both carry the same numbers.
#pragma once

#include <string>
#include <vector>

#include "core/stats.h"
#include "predwatch/v1/stats.pb.h"

namespace predwatch::daemon {

// Which derived sections to_proto() fills besides the exact tables.
struct StatsSections {
  bool tables = true;         // the exact state (baseline files need it)
  bool class_balance = true;  // ClassStats scalar fields
  bool cooccurrence = true;   // pairs
  bool objects_distribution = true;
  bool per_image = true;  // objects/classes per frame, covered area
  bool heatmaps = true;
  bool sizes = true;
  bool confidence = true;
  std::vector<std::string> only_classes;  // per-class arrays only for these (empty = all)
  uint32_t top_pairs = 0;                 // 0 = every non-zero pair
};

core::StatsLayout layout_from_proto(const v1::StatsLayout& p);
void layout_to_proto(const core::StatsLayout& layout, v1::StatsLayout* p);

// `class_names[i]` names class id i; REQUIRES class_names.size() >= stats.num_classes().
void stats_to_proto(const core::Stats& stats, const std::vector<std::string>& class_names,
                    const StatsSections& sections, v1::Stats* out);

// Rebuilds exact statistics from `p.tables`. On failure returns a message naming the field
// that does not fit the layout or the class list, or the table whose values no sequence of
// frames can produce (negative counts, histograms that do not sum to their totals, ...);
// `out` is then untouched.
std::string stats_from_proto(const v1::Stats& p, core::StatsData* out,
                             std::vector<std::string>* class_names);

}  // namespace predwatch::daemon
