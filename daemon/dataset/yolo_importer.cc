#include "daemon/dataset/yolo_importer.h"

#include <fmt/format.h>
#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>

#include "daemon/dataset/problem_recorder.h"

namespace predwatch::daemon {
namespace fs = std::filesystem;
namespace {

bool is_txt(const fs::path& p) { return p.extension() == ".txt"; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

fs::path find_names_file(const fs::path& dir) {
  static constexpr const char* kCandidates[] = {"data.yaml", "config.yaml", "dataset.yaml",
                                                "classes.txt", "obj.names"};
  fs::path d = dir;
  for (int level = 0; level < 4 && !d.empty(); ++level) {
    for (const char* c : kCandidates) {
      std::error_code ec;
      if (fs::is_regular_file(d / c, ec)) {
        if (std::string_view(c).ends_with(".yaml")) {
          // Only a YAML file that declares names counts.
          try {
            if (YAML::LoadFile((d / c).string())["names"]) return d / c;
          } catch (const YAML::Exception&) {
            return d / c;  // let the loader report the error
          }
          continue;
        }
        return d / c;
      }
    }
    fs::path parent = d.parent_path();
    if (parent == d) break;
    d = parent;
  }
  return {};
}

// Splits on blanks, up to `max` fields; returns the count (max + 1 when there are more).
size_t split(std::string_view line, std::string_view* out, size_t max) {
  size_t n = 0, i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i == line.size()) break;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (n == max) return max + 1;
    out[n++] = line.substr(i, j - i);
    i = j;
  }
  return n;
}

bool parse_double(std::string_view s, double& v) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

namespace {

// Class names become proto3 strings, metric labels and JSON: a file in another encoding
// (Latin-1, say) is refused here, naming the entry, rather than breaking every answer
// that lists the class later.
bool names_are_utf8(const fs::path& file, const std::vector<std::string>& names,
                    std::string& error) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (!simdjson::validate_utf8(names[i].data(), names[i].size())) {
      error = fmt::format("{}: class name {} (index {}) is not valid UTF-8; save the file as UTF-8",
                          file.string(), i + 1, i);
      return false;
    }
  }
  return true;
}

}  // namespace

bool load_yolo_names(const fs::path& file, std::vector<std::string>& names, std::string& error) {
  names.clear();
  std::string ext = file.extension().string();
  if (ext == ".yaml" || ext == ".yml") {
    YAML::Node root;
    try {
      root = YAML::LoadFile(file.string());
    } catch (const YAML::BadFile&) {
      error = fmt::format("{}: cannot open", file.string());
      return false;
    } catch (const YAML::Exception& e) {
      error = fmt::format("{}:{}:{}: {}", file.string(), e.mark.line + 1, e.mark.column + 1, e.msg);
      return false;
    }
    // A document that is not a map (a scalar, a list) has no `names`; operator[] would throw.
    YAML::Node n = root.IsMap() ? root["names"] : YAML::Node();
    if (!n) {
      error = fmt::format("{}: no `names` key", file.string());
      return false;
    }
    try {
      if (n.IsSequence()) {
        for (const auto& item : n) names.push_back(item.as<std::string>());
      } else if (n.IsMap()) {
        std::map<int64_t, std::string> by_index;
        for (const auto& kv : n) {
          int64_t idx = kv.first.as<int64_t>();
          if (idx < 0 || idx > 100000 ||
              !by_index.emplace(idx, kv.second.as<std::string>()).second) {
            error = fmt::format("{}:{}:{}: bad or repeated class index {}", file.string(),
                                kv.first.Mark().line + 1, kv.first.Mark().column + 1, idx);
            return false;
          }
        }
        names.resize(by_index.empty() ? 0 : by_index.rbegin()->first + 1);
        for (auto& [idx, name] : by_index) names[idx] = std::move(name);
      } else {
        error = fmt::format("{}:{}:{}: `names` must be a list or a map index -> name",
                            file.string(), n.Mark().line + 1, n.Mark().column + 1);
        return false;
      }
    } catch (const YAML::Exception& e) {
      error = fmt::format("{}:{}:{}: `names`: {}", file.string(), e.mark.line + 1,
                          e.mark.column + 1, e.msg);
      return false;
    }
    return names_are_utf8(file, names, error);
  }
  std::ifstream in(file);
  if (!in) {
    error = fmt::format("{}: cannot open", file.string());
    return false;
  }
  std::string line;
  while (std::getline(in, line)) {
    std::string_view t = trim(line);
    if (!t.empty()) names.emplace_back(t);
  }
  return names_are_utf8(file, names, error);
}

ImportResult YoloImporter::import(const fs::path& path_arg, const ImportOptions& options,
                                  const EventCallback& on_event) const {
  ImportResult result;
  std::error_code ec;
  const fs::path path = normalised_folder(path_arg);
  if (!fs::is_directory(path, ec)) {
    result.error = fmt::format("{}: not a folder of YOLO label files", path.string());
    return result;
  }
  std::vector<std::string> names;
  fs::path names_file = options.names_file.empty() ? find_names_file(path) : options.names_file;
  if (!names_file.empty() && !load_yolo_names(names_file, names, result.error)) return result;

  bool has_subdirs = false;
  for (const auto& e : fs::directory_iterator(path, ec)) has_subdirs |= e.is_directory();
  std::vector<fs::path> files;
  if (has_subdirs) {
    for (const auto& e : fs::recursive_directory_iterator(path, ec)) {
      if (e.is_regular_file() && is_txt(e.path()) && e.path().parent_path() != path)
        files.push_back(e.path());
    }
  } else {
    for (const auto& e : fs::directory_iterator(path, ec)) {
      if (e.is_regular_file() && is_txt(e.path()) && e.path().filename() != "classes.txt") {
        files.push_back(e.path());
      }
    }
  }
  if (ec) {
    result.error = fmt::format("{}: cannot list: {}", path.string(), ec.message());
    return result;
  }
  if (files.empty()) {
    result.error = fmt::format("{}: empty dataset: no YOLO label files (*.txt)", path.string());
    return result;
  }
  std::sort(files.begin(), files.end());

  ProblemRecorder problems(options, result.summary);
  core::Event event;
  std::string frame_id, line, file_name;
  std::string_view fields[7];
  for (const fs::path& f : files) {
    file_name = f.string();
    frame_id = f.lexically_relative(path).replace_extension().generic_string();
    std::ifstream in(f);
    if (!in) {
      problems.report(ProblemKind::kMalformedRecord, file_name, "file", frame_id, "",
                      "cannot open");
      ++result.summary.skipped_images;
      continue;
    }
    event.clear();
    event.frame_id = frame_id;
    event.stream = options.stream;
    event.model_name = options.model_name;
    event.model_version = options.model_version;
    event.time_ms = options.time_ms;
    size_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      std::string_view t = trim(line);
      if (t.empty()) continue;
      std::string record = fmt::format("line {}", line_no);
      size_t n = split(t, fields, 6);
      if (n != 5 && n != 6) {
        problems.report(ProblemKind::kMalformedRecord, file_name, record, frame_id, "",
                        fmt::format("expected 5 or 6 fields (class cx cy w h [conf]), got {}",
                                    n > 6 ? "more" : std::to_string(n)));
        ++result.summary.skipped_objects;
        continue;
      }
      int64_t cls = -1;
      auto r = std::from_chars(fields[0].data(), fields[0].data() + fields[0].size(), cls);
      double v[5] = {0, 0, 0, 0, -1};
      bool ok = r.ec == std::errc() && r.ptr == fields[0].data() + fields[0].size();
      for (size_t k = 1; k < n && ok; ++k) ok = parse_double(fields[k], v[k - 1]);
      if (!ok) {
        problems.report(ProblemKind::kMalformedRecord, file_name, record, frame_id, "",
                        fmt::format("not numbers: \"{}\"", t));
        ++result.summary.skipped_objects;
        continue;
      }
      // As the live decoders do (kBadConfidence): a confidence must lie in [0, 1].
      if (n == 6 && !(v[4] >= 0 && v[4] <= 1)) {
        problems.report(ProblemKind::kMalformedRecord, file_name, record, frame_id, "",
                        fmt::format("confidence {} is not in [0, 1]", fields[5]));
        ++result.summary.skipped_objects;
        continue;
      }
      if (cls < 0 || (!names.empty() && static_cast<size_t>(cls) >= names.size()) ||
          cls > INT32_MAX) {
        problems.report(ProblemKind::kUnknownCategory, file_name, record, frame_id, fields[0],
                        fmt::format("class index {} not in the {} names of {}", cls, names.size(),
                                    names_file.string()));
        ++result.summary.skipped_objects;
        continue;
      }
      core::NamedDetection d;
      d.class_index = static_cast<int32_t>(cls);
      if (!names.empty()) d.class_name = names[cls];
      BoxCheck check = clip_normalised_box(v[0] - v[2] / 2, v[1] - v[3] / 2, v[0] + v[2] / 2,
                                           v[1] + v[3] / 2, d.box);
      if (check == BoxCheck::kDegenerate) {
        problems.report(ProblemKind::kDegenerateBox, file_name, record, frame_id, d.class_name,
                        fmt::format("box cx {} cy {} w {} h {} has no area inside the image", v[0],
                                    v[1], v[2], v[3]));
        ++result.summary.skipped_objects;
        continue;
      }
      if (check == BoxCheck::kClipped) {
        problems.report(ProblemKind::kBoxOutsideImage, file_name, record, frame_id, d.class_name,
                        fmt::format("box cx {} cy {} w {} h {} extends beyond the image; clipped",
                                    v[0], v[1], v[2], v[3]));
      }
      if (n == 6) d.confidence = static_cast<float>(v[4]);
      event.detections.push_back(d);
    }
    ++result.summary.images;
    result.summary.objects += event.detections.size();
    on_event(event);
  }
  return result;
}

}  // namespace predwatch::daemon
