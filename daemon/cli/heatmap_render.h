// Draws a grid of counts in a terminal with shade characters (" ░▒▓█"), each cell scaled
// to the grid's maximum (or to each row's own maximum, as the objects-distribution table
// does), with optional row labels and a column ruler.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace predwatch::daemon {

struct HeatmapStyle {
  bool scale_rows_independently = false;
  int cell_width = 2;  // characters per cell
};

// REQUIRES: counts.size() == rows * cols; row_labels empty or of size rows.
std::string render_heatmap(std::span<const uint64_t> counts, size_t rows, size_t cols,
                           const std::vector<std::string>& row_labels = {},
                           const std::vector<std::string>& col_labels = {},
                           HeatmapStyle style = {});

}  // namespace predwatch::daemon
