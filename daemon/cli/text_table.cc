#include "daemon/cli/text_table.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace predwatch::daemon {
namespace {

bool looks_numeric(const std::string& s) {
  if (s.empty() || s == "-") return !s.empty();
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end != s.c_str() && (*end == '\0' || *end == '%');
}

// Display width of UTF-8 text: counts code points, not bytes.
size_t display_width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

TextTable::TextTable(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void TextTable::add_row(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

std::string TextTable::render() const {
  const size_t n = headers_.size();
  std::vector<size_t> width(n, 0);
  std::vector<bool> numeric(n, true);
  for (size_t c = 0; c < n; ++c) width[c] = display_width(headers_[c]);
  for (const auto& row : rows_) {
    for (size_t c = 0; c < n; ++c) {
      width[c] = std::max(width[c], display_width(row[c]));
      if (!looks_numeric(row[c])) numeric[c] = false;
    }
  }
  if (rows_.empty()) numeric.assign(n, false);
  std::string out;
  auto emit = [&](const std::vector<std::string>& cells, bool header) {
    for (size_t c = 0; c < n; ++c) {
      const size_t pad = width[c] - display_width(cells[c]);
      const bool right = numeric[c];
      if (c > 0) out += "  ";
      if (right) out.append(pad, ' ');
      out += cells[c];
      if (!right && c + 1 < n) out.append(pad, ' ');
    }
    out += '\n';
    if (header) {
      for (size_t c = 0; c < n; ++c) {
        if (c > 0) out += "  ";
        out.append(width[c], '-');
      }
      out += '\n';
    }
  };
  emit(headers_, true);
  for (const auto& row : rows_) emit(row, false);
  return out;
}

std::string format_number(double v, int precision) {
  if (std::isnan(v)) return "-";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.*f", precision, v);
  }
  return buf;
}

}  // namespace predwatch::daemon
