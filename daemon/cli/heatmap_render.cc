#include "daemon/cli/heatmap_render.h"

#include <algorithm>

namespace predwatch::daemon {
namespace {

// Zero stays blank so that empty cells read as empty; any non-zero count is visible.
const char* shade(uint64_t v, uint64_t max) {
  static const char* kShades[] = {" ", "░", "▒", "▓", "█"};
  if (v == 0 || max == 0) return kShades[0];
  const size_t level = 1 + (v * 4 - 1) / max;  // 1..4
  return kShades[std::min<size_t>(level, 4)];
}

}  // namespace

std::string render_heatmap(std::span<const uint64_t> counts, size_t rows, size_t cols,
                           const std::vector<std::string>& row_labels,
                           const std::vector<std::string>& col_labels, HeatmapStyle style) {
  size_t label_width = 0;
  for (const auto& l : row_labels) label_width = std::max(label_width, l.size());
  const uint64_t global_max = counts.empty() ? 0 : *std::max_element(counts.begin(), counts.end());
  std::string out;
  if (!col_labels.empty()) {
    out.append(label_width + (label_width ? 1 : 0), ' ');
    out += '|';
    for (size_t c = 0; c < cols; ++c) {
      std::string l = c < col_labels.size() ? col_labels[c] : "";
      l.resize(style.cell_width, ' ');
      out += l;
    }
    out += "|\n";
  }
  for (size_t r = 0; r < rows; ++r) {
    if (label_width) {
      const std::string& l = r < row_labels.size() ? row_labels[r] : "";
      out += l;
      out.append(label_width - l.size() + 1, ' ');
    }
    uint64_t max = global_max;
    if (style.scale_rows_independently) {
      max = *std::max_element(counts.begin() + r * cols, counts.begin() + (r + 1) * cols);
    }
    out += '|';
    for (size_t c = 0; c < cols; ++c) {
      const char* s = shade(counts[r * cols + c], max);
      for (int k = 0; k < style.cell_width; ++k) out += s;
    }
    out += "|\n";
  }
  return out;
}

}  // namespace predwatch::daemon
