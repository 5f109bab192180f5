// Aligned text tables for terminal output: a header row, data rows, numeric columns
// right-aligned, others left-aligned, columns sized to their widest cell.
//
//   TextTable t({"class", "images", "objects"});
//   t.add_row({"person", "2693", "11004"});
//   std::cout << t.render();
//
// Not thread-safe; a value type.
#pragma once

#include <string>
#include <vector>

namespace predwatch::daemon {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> headers);

  // REQUIRES: cells.size() == number of headers.
  void add_row(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }

  // The table with a header underline; cells that parse as numbers are right-aligned.
  std::string render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// Formats a number for a table: integers without decimals, others with `precision`
// significant decimals; NaN as "-".
std::string format_number(double v, int precision = 2);

}  // namespace predwatch::daemon
