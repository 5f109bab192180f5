#include "daemon/cli/text_table.h"

#include <gtest/gtest.h>

#include <cmath>

#include "daemon/cli/heatmap_render.h"

namespace predwatch::daemon {
namespace {

TEST(TextTable, AlignsTextLeftAndNumbersRight) {
  TextTable t({"class", "images"});
  t.add_row({"person", "2693"});
  t.add_row({"tv", "5"});
  EXPECT_EQ(t.render(),
            "class   images\n"
            "------  ------\n"
            "person    2693\n"
            "tv           5\n");
}

TEST(TextTable, CountsUtf8CodePointsForWidth) {
  TextTable t({"a", "b"});
  t.add_row({"é", "x"});
  // "é" is two bytes but one column: the separator stays two spaces after width 1.
  EXPECT_EQ(t.render(), "a  b\n-  -\né  x\n");
}

TEST(FormatNumber, IntegersPlainOthersRounded) {
  EXPECT_EQ(format_number(12), "12");
  EXPECT_EQ(format_number(0.126, 2), "0.13");
  EXPECT_EQ(format_number(std::nan("")), "-");
}

TEST(Heatmap, ShadesByShareOfMaximumAndLeavesZerosBlank) {
  const uint64_t counts[] = {0, 1, 2, 4};
  HeatmapStyle style;
  style.cell_width = 1;
  // max 4: 1 -> level 1 (░), 2 -> level 2 (▒), 4 -> level 4 (█).
  EXPECT_EQ(render_heatmap(counts, 2, 2, {}, {}, style), "| ░|\n|▒█|\n");
}

TEST(Heatmap, RowsScaledIndependently) {
  const uint64_t counts[] = {1, 1, 100, 25};
  HeatmapStyle style;
  style.cell_width = 1;
  style.scale_rows_independently = true;
  EXPECT_EQ(render_heatmap(counts, 2, 2, {"a", "bb"}, {}, style), "a  |██|\nbb |█░|\n");
}

}  // namespace
}  // namespace predwatch::daemon
