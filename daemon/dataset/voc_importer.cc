#include "daemon/dataset/voc_importer.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <pugixml.hpp>
#include <sstream>

#include "daemon/dataset/problem_recorder.h"

namespace predwatch::daemon {
namespace fs = std::filesystem;
namespace {

std::string_view trimmed(const char* s) {
  std::string_view v(s);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  return v;
}

bool number(pugi::xml_node parent, const char* name, double& out) {
  pugi::xml_node n = parent.child(name);
  if (!n) return false;
  std::string_view t = trimmed(n.child_value());
  auto r = std::from_chars(t.data(), t.data() + t.size(), out);
  return !t.empty() && r.ec == std::errc() && r.ptr == t.data() + t.size();
}

// 1-based line and column of a byte offset.
std::pair<size_t, size_t> line_col(const std::string& text, ptrdiff_t offset) {
  size_t line = 1, col = 1;
  for (ptrdiff_t i = 0; i < offset && i < static_cast<ptrdiff_t>(text.size()); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

}  // namespace

ImportResult VocImporter::import(const fs::path& path_arg, const ImportOptions& options,
                                 const EventCallback& on_event) const {
  ImportResult result;
  std::error_code ec;
  const fs::path path = normalised_folder(path_arg);
  if (!fs::is_directory(path, ec)) {
    result.error = fmt::format("{}: not a folder of Pascal VOC XML files", path.string());
    return result;
  }
  fs::path dir = fs::is_directory(path / "Annotations", ec) ? path / "Annotations" : path;
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".xml") files.push_back(e.path());
  }
  if (ec) {
    result.error = fmt::format("{}: cannot list: {}", dir.string(), ec.message());
    return result;
  }
  if (files.empty()) {
    result.error = fmt::format("{}: empty dataset: no VOC XML files", dir.string());
    return result;
  }
  std::sort(files.begin(), files.end());

  ProblemRecorder problems(options, result.summary);
  core::Event event;
  std::string text, file_name, frame_id, name;
  pugi::xml_document doc;
  size_t readable = 0;
  for (const fs::path& f : files) {
    file_name = f.string();
    frame_id = f.stem().string();
    std::ifstream in(f, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str();
    if (!in) {
      problems.report(ProblemKind::kMalformedRecord, file_name, "file", frame_id, "",
                      "cannot read");
      ++result.summary.skipped_images;
      continue;
    }
    pugi::xml_parse_result parsed = doc.load_buffer(text.data(), text.size());
    if (!parsed) {
      auto [line, col] = line_col(text, parsed.offset);
      problems.report(ProblemKind::kMalformedRecord, file_name,
                      fmt::format("line {}:{}", line, col), frame_id, "",
                      fmt::format("malformed XML: {}", parsed.description()));
      ++result.summary.skipped_images;
      continue;
    }
    pugi::xml_node ann = doc.child("annotation");
    if (!ann) {
      problems.report(ProblemKind::kMalformedRecord, file_name, "root", frame_id, "",
                      "no <annotation> element");
      ++result.summary.skipped_images;
      continue;
    }
    ++readable;
    std::string_view fn = trimmed(ann.child("filename").child_value());
    if (!fn.empty()) frame_id = fn;
    double w = 0, h = 0;
    pugi::xml_node size = ann.child("size");
    // A size is a pixel count: below 1 (0.1 made Event::width 0, "no size") or beyond
    // uint32 (no conversion) is no size.
    if (!number(size, "width", w) || !number(size, "height", h) || !(w >= 1) || !(h >= 1) ||
        w > UINT32_MAX || h > UINT32_MAX) {
      size_t objects = 0;
      for (auto o = ann.child("object"); o; o = o.next_sibling("object")) ++objects;
      problems.report(
          ProblemKind::kNoImageSize, file_name, "<size>", frame_id, "",
          fmt::format("missing or unusable <size><width>/<height>; {} objects skipped", objects));
      ++result.summary.skipped_images;
      result.summary.skipped_objects += objects;
      continue;
    }
    event.clear();
    event.frame_id = frame_id;
    event.stream = options.stream;
    event.model_name = options.model_name;
    event.model_version = options.model_version;
    event.time_ms = options.time_ms;
    event.width = static_cast<uint32_t>(w);
    event.height = static_cast<uint32_t>(h);
    size_t index = 0;
    // Names must outlive the callback: point into the document, which lives until the next file.
    for (auto o = ann.child("object"); o; o = o.next_sibling("object"), ++index) {
      std::string record =
          fmt::format("object[{}] (line {})", index, line_col(text, o.offset_debug()).first);
      pugi::xml_node name_node = o.child("name");
      std::string_view cls = trimmed(name_node.child_value());
      if (cls.empty()) {
        problems.report(ProblemKind::kMissingField, file_name, record, frame_id, "",
                        "missing <name>");
        ++result.summary.skipped_objects;
        continue;
      }
      // A class name must be UTF-8 (proto3 strings, metric labels); pugixml passes a file's
      // bytes through when it declares no encoding it converts.
      if (!simdjson::validate_utf8(cls.data(), cls.size())) {
        problems.report(ProblemKind::kMalformedRecord, file_name, record, frame_id, "",
                        "<name> is not valid UTF-8 (save the file as UTF-8)");
        ++result.summary.skipped_objects;
        continue;
      }
      if (options.skip_difficult && trimmed(o.child("difficult").child_value()) == "1") {
        ++result.summary.skipped_objects;
        continue;
      }
      pugi::xml_node bb = o.child("bndbox");
      double x0, y0, x1, y1;
      if (!number(bb, "xmin", x0) || !number(bb, "ymin", y0) || !number(bb, "xmax", x1) ||
          !number(bb, "ymax", y1)) {
        problems.report(ProblemKind::kMissingField, file_name, record, frame_id, cls,
                        "missing or non-numeric <bndbox> xmin/ymin/xmax/ymax");
        ++result.summary.skipped_objects;
        continue;
      }
      core::NamedDetection d;
      d.class_name = cls;
      if (!problems.accept_pixel_box(x0, y0, x1, y1, w, h, file_name, record, frame_id, cls,
                                     d.box)) {
        continue;
      }
      event.detections.push_back(d);
    }
    ++result.summary.images;
    result.summary.objects += event.detections.size();
    on_event(event);
  }
  if (readable == 0) {
    result.error = fmt::format(
        "{}: empty dataset: none of the {} XML files could be read (first: {})", dir.string(),
        files.size(), result.summary.messages.empty() ? "" : result.summary.messages.front());
  }
  return result;
}

}  // namespace predwatch::daemon
