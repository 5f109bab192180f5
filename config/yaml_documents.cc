#include "config/yaml_documents.h"

#include <string>

namespace predwatch::config {
namespace {

// True when `line` (with its '\n', if any) is the marker `mark` ("---" or "...") as YAML
// reads it: at column 0, followed by a space, a tab or the end of the line.
bool is_marker(std::string_view line, std::string_view mark) {
  if (!line.starts_with(mark)) return false;
  if (line.size() == mark.size()) return true;
  const char next = line[mark.size()];
  return next == ' ' || next == '\t' || next == '\r' || next == '\n';
}

bool is_directive(std::string_view line) { return line.starts_with('%'); }

}  // namespace

std::vector<YAML::Node> load_yaml_documents(std::string_view text, size_t max_documents) {
  std::vector<YAML::Node> docs;
  size_t parsed = 0;  // pieces with content handed to YAML::Load
  // One pass over the lines; the piece [piece_begin, cut) is parsed at each cut when it has a
  // line that is not blank, a comment or a bare marker (so runs of markers cost nothing).
  size_t piece_begin = 0;  // offset of the piece's first line
  size_t piece_line = 0;   // its 0-based line number in the stream
  bool content = false;
  size_t directives_at = std::string_view::npos;  // first of the directive lines just seen
  size_t directives_line = 0;
  auto parse = [&](size_t end) {
    if (!content || parsed >= max_documents) return;
    ++parsed;
    std::string piece(piece_line, '\n');
    piece.append(text.substr(piece_begin, end - piece_begin));
    if (YAML::Node doc = YAML::Load(piece); doc && !doc.IsNull()) docs.push_back(doc);
  };
  auto start_piece = [&](size_t begin, size_t line) {
    piece_begin = begin;
    piece_line = line;
    content = false;
  };
  size_t line_no = 0;
  for (size_t at = 0; at < text.size() && parsed < max_documents; ++line_no) {
    const size_t nl = text.find('\n', at);
    const size_t next = nl == std::string_view::npos ? text.size() : nl + 1;
    const std::string_view line = text.substr(at, next - at);
    const bool start = is_marker(line, "---"), end = is_marker(line, "...");
    if (start) {
      const bool with_directives = directives_at != std::string_view::npos;
      parse(with_directives ? directives_at : at);
      if (with_directives) {
        start_piece(directives_at, directives_line);
      } else {
        start_piece(at, line_no);
      }
    }
    const size_t first = line.find_first_not_of(" \t\r\n", start || end ? 3 : 0);
    const bool blank = first == std::string_view::npos || line[first] == '#';
    if (!blank && !is_directive(line)) content = true;
    if (end) {
      parse(next);
      start_piece(next, line_no + 1);
    }
    if (is_directive(line)) {
      if (directives_at == std::string_view::npos) {
        directives_at = at;
        directives_line = line_no;
      }
    } else if (!blank || start || end) {
      directives_at = std::string_view::npos;
    }
    at = next;
  }
  parse(text.size());
  return docs;
}

}  // namespace predwatch::config
