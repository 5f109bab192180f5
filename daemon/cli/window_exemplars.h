// The exemplars behind the cells of a live window, for the HTML report of
// `predwatch stats STREAM --html` (daemon/cli/html_report.h): a window keeps no list of its
// frames, only the newest frames of each cell (core/exemplars.h), so the report asks
// GetExemplars for every non-empty cell and inlines the answers, and a click in the report
// lists them as the web view would have at the time the report was written.
//
// Cells, in this order until `max_cells` requests were made: every class with images (its
// frames), every co-occurring pair (most frames first), every count bucket >= 1 with frames
// ("N objects of the class on the frame"), the area, width and height bins with boxes (the
// report's size histograms), then the heatmap cells with box centres. Empty cells are never
// asked for.
//
// JSON (the report's "exemplars" member):
//   {"max_cells": N, "cells": requests made, "skipped": non-empty cells not asked for,
//    "class": {"<c>": [E]}, "pair": {"<a>": {"<b>": [E]}} (a < b by name),
//    "count": {"<c>": {"<bucket label, e.g. 3 or >=20>": [E]}},
//    "area" | "width" | "height": {"<c>": {"<bin index>": [E]}},
//    "cell": {"<c>": {"<row * grid + col>": [E]}}}
// where E = {"frame": frame id, "time": RFC 3339, "uri": image URI ("" without one)}, newest
// first. A cell whose request failed (e.g. the class left the window between the two calls)
// is left out; the first failure's message is returned.
//
// `fetch` makes one request (the command's GetExemplars on its channel; a test passes its
// own); `progress`, when not null, is told after each request.
#pragma once

#include <grpcpp/support/status.h>

#include <functional>
#include <string>
#include <vector>

#include "core/stats.h"
#include "daemon/cli/progress.h"
#include "daemon/common/json_writer.h"
#include "predwatch/v1/monitor.pb.h"

namespace predwatch::daemon {

using ExemplarFetcher =
    std::function<grpc::Status(const v1::GetExemplarsRequest&, v1::GetExemplarsResponse*)>;

struct WindowExemplarsResult {
  size_t cells = 0;    // requests made
  size_t skipped = 0;  // non-empty cells beyond max_cells
  std::string first_error;
};

// Writes the "exemplars" value (above) at w's current position.
WindowExemplarsResult write_window_exemplars(JsonWriter& w, const core::Stats& stats,
                                             const std::vector<std::string>& names,
                                             const std::string& stream, const std::string& window,
                                             size_t max_cells, const ExemplarFetcher& fetch,
                                             Progress* progress);

}  // namespace predwatch::daemon
