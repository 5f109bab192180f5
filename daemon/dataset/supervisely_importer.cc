#include "daemon/dataset/supervisely_importer.h"

#include <fmt/format.h>
#include <simdjson.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "daemon/dataset/problem_recorder.h"

namespace predwatch::daemon {
namespace fs = std::filesystem;
namespace {

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

std::string base64_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = base64_value(c);
    if (v < 0) continue;  // '=', line breaks
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

// Shoelace area of a ring of points (element: [x, y]).
double ring_area(simdjson::dom::array ring) {
  double sum = 0, fx = 0, fy = 0, px = 0, py = 0;
  bool first = true;
  for (auto p : ring) {
    simdjson::dom::array xy;
    if (p.get_array().get(xy) || xy.size() < 2) return 0;
    double x = 0, y = 0;
    if (xy.at(0).get_double().get(x) || xy.at(1).get_double().get(y)) return 0;
    if (first) {
      fx = x;
      fy = y;
      first = false;
    } else {
      sum += px * y - x * py;
    }
    px = x;
    py = y;
  }
  if (!first) sum += px * fy - fx * py;
  return std::abs(sum) / 2;
}

struct ImageRef {
  std::string dataset;
  fs::path file;
};

}  // namespace

std::optional<std::pair<uint32_t, uint32_t>> supervisely_bitmap_size(std::string_view base64_data) {
  std::string compressed = base64_decode(base64_data);
  if (compressed.empty()) return std::nullopt;
  unsigned char head[24];
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return std::nullopt;
  zs.next_in = reinterpret_cast<Bytef*>(compressed.data());
  zs.avail_in = static_cast<uInt>(compressed.size());
  zs.next_out = head;
  zs.avail_out = sizeof(head);
  int rc = inflate(&zs, Z_SYNC_FLUSH);
  size_t got = sizeof(head) - zs.avail_out;
  inflateEnd(&zs);
  if ((rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) || got < sizeof(head))
    return std::nullopt;
  static constexpr unsigned char kSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (!std::equal(kSig, kSig + 8, head) || !std::equal(head + 12, head + 16, "IHDR"))
    return std::nullopt;
  auto be32 = [&](int at) {
    return (uint32_t{head[at]} << 24) | (uint32_t{head[at + 1]} << 16) |
           (uint32_t{head[at + 2]} << 8) | head[at + 3];
  };
  uint32_t w = be32(16), h = be32(20);
  if (w == 0 || h == 0) return std::nullopt;
  return std::make_pair(w, h);
}

ImportResult SuperviselyImporter::import(const fs::path& path_arg, const ImportOptions& options,
                                         const EventCallback& on_event) const {
  ImportResult result;
  std::error_code ec;
  const fs::path path = normalised_folder(path_arg);
  if (!fs::is_directory(path, ec)) {
    result.error = fmt::format("{}: not a Supervisely project folder", path.string());
    return result;
  }
  simdjson::dom::parser parser;
  // Class title -> shape, from meta.json when present.
  std::map<std::string, std::string, std::less<>> shapes;
  bool have_meta = false;
  fs::path meta_path = path / "meta.json";
  if (fs::is_regular_file(meta_path, ec)) {
    simdjson::dom::element meta;
    if (auto err = parser.load(meta_path.string()).get(meta)) {
      result.error =
          fmt::format("{}: malformed JSON: {}", meta_path.string(), simdjson::error_message(err));
      return result;
    }
    simdjson::dom::array classes;
    if (meta["classes"].get_array().get(classes)) {
      result.error = fmt::format("{}: no \"classes\" array", meta_path.string());
      return result;
    }
    size_t i = 0;
    for (auto c : classes) {
      std::string_view title, shape;
      if (c["title"].get_string().get(title)) {
        result.error = fmt::format("{}: classes[{}]: missing \"title\"", meta_path.string(), i);
        return result;
      }
      if (c["shape"].get_string().get(shape)) shape = "";
      shapes[std::string(title)] = std::string(shape);
      ++i;
    }
    have_meta = true;
  }
  std::vector<ImageRef> images;
  auto add_dataset = [&](const fs::path& ds_dir, const std::string& ds_name) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(ds_dir / "ann", ec)) {
      if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (auto& f : files) images.push_back({ds_name, f});
  };
  if (fs::is_directory(path / "ann", ec)) {
    add_dataset(path, path.filename().string());
  } else {
    std::vector<fs::path> dirs;
    for (const auto& e : fs::directory_iterator(path, ec)) {
      if (e.is_directory() && fs::is_directory(e.path() / "ann")) dirs.push_back(e.path());
    }
    std::sort(dirs.begin(), dirs.end());
    for (auto& d : dirs) add_dataset(d, d.filename().string());
  }
  if (images.empty()) {
    result.error =
        fmt::format("{}: empty dataset: no <dataset>/ann/*.json annotation files", path.string());
    return result;
  }

  ProblemRecorder problems(options, result.summary);
  core::Event event;
  std::string frame_id, file_name, title;
  size_t readable = 0;
  for (const ImageRef& img : images) {
    file_name = img.file.string();
    std::string stem = img.file.filename().string();
    stem.resize(stem.size() - 5);  // ".json"
    frame_id = img.dataset + "/" + stem;
    simdjson::dom::element ann;
    if (auto err = parser.load(file_name).get(ann)) {
      problems.report(ProblemKind::kMalformedRecord, file_name, "file", frame_id, "",
                      fmt::format("malformed JSON: {}", simdjson::error_message(err)));
      ++result.summary.skipped_images;
      continue;
    }
    ++readable;
    int64_t w = 0, h = 0;
    simdjson::dom::array objects;
    bool has_objects = !ann["objects"].get_array().get(objects);
    if (ann["size"]["width"].get_int64().get(w) || ann["size"]["height"].get_int64().get(h) ||
        w <= 0 || h <= 0 || w > UINT32_MAX || h > UINT32_MAX) {
      problems.report(ProblemKind::kNoImageSize, file_name, "size", frame_id, "",
                      "missing, non-positive or too large size.width/size.height");
      ++result.summary.skipped_images;
      if (has_objects) result.summary.skipped_objects += objects.size();
      continue;
    }
    if (!has_objects) {
      problems.report(ProblemKind::kMissingField, file_name, "objects", frame_id, "",
                      "missing \"objects\" array");
      ++result.summary.skipped_images;
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
    for (auto obj : objects) {
      std::string record = fmt::format("objects[{}]", index++);
      std::string_view cls;
      if (obj["classTitle"].get_string().get(cls)) {
        problems.report(ProblemKind::kMissingField, file_name, record, frame_id, "",
                        "missing \"classTitle\"");
        ++result.summary.skipped_objects;
        continue;
      }
      std::string_view geometry;
      bool has_geometry = !obj["geometryType"].get_string().get(geometry);
      if (have_meta) {
        auto it = shapes.find(cls);
        if (it == shapes.end()) {
          problems.report(
              ProblemKind::kUnknownCategory, file_name, record, frame_id, cls,
              fmt::format("class \"{}\" is not declared in {}", cls, meta_path.string()));
          ++result.summary.skipped_objects;
          continue;
        }
        if (!has_geometry && !it->second.empty()) {
          geometry = it->second;
          has_geometry = true;
        }
      }
      simdjson::dom::object bitmap;
      bool has_bitmap = !obj["bitmap"].get_object().get(bitmap);
      if (!has_geometry) geometry = has_bitmap ? "bitmap" : "polygon";
      core::NamedDetection d;
      d.class_name = cls;
      double x0, y0, x1, y1;
      if (geometry == "bitmap") {
        std::string_view data;
        simdjson::dom::array origin;
        int64_t ox = 0, oy = 0;
        if (!has_bitmap || bitmap["data"].get_string().get(data) ||
            bitmap["origin"].get_array().get(origin) || origin.size() != 2 ||
            origin.at(0).get_int64().get(ox) || origin.at(1).get_int64().get(oy)) {
          problems.report(ProblemKind::kMissingField, file_name, record, frame_id, cls,
                          "bitmap needs \"data\" and \"origin\" [x, y]");
          ++result.summary.skipped_objects;
          continue;
        }
        auto size = supervisely_bitmap_size(data);
        if (!size) {
          problems.report(ProblemKind::kMalformedRecord, file_name, record, frame_id, cls,
                          "bitmap.data is not base64 of a zlib-compressed PNG");
          ++result.summary.skipped_objects;
          continue;
        }
        x0 = static_cast<double>(ox);
        y0 = static_cast<double>(oy);
        x1 = x0 + size->first;
        y1 = y0 + size->second;
      } else if (geometry == "rectangle" || geometry == "polygon") {
        simdjson::dom::array exterior;
        if (obj["points"]["exterior"].get_array().get(exterior) || exterior.size() < 2) {
          problems.report(ProblemKind::kMissingField, file_name, record, frame_id, cls,
                          fmt::format("{} needs points.exterior with at least 2 points", geometry));
          ++result.summary.skipped_objects;
          continue;
        }
        x0 = y0 = std::numeric_limits<double>::infinity();
        x1 = y1 = -std::numeric_limits<double>::infinity();
        bool ok = true;
        for (auto p : exterior) {
          simdjson::dom::array xy;
          double x, y;
          if (p.get_array().get(xy) || xy.size() != 2 || xy.at(0).get_double().get(x) ||
              xy.at(1).get_double().get(y)) {
            ok = false;
            break;
          }
          x0 = std::min(x0, x);
          y0 = std::min(y0, y);
          x1 = std::max(x1, x);
          y1 = std::max(y1, y);
        }
        if (!ok) {
          problems.report(ProblemKind::kMissingField, file_name, record, frame_id, cls,
                          "points.exterior must hold [x, y] number pairs");
          ++result.summary.skipped_objects;
          continue;
        }
        if (geometry == "rectangle") {
          x1 += 1;  // inclusive pixel corners
          y1 += 1;
        } else {
          double area = ring_area(exterior);
          simdjson::dom::array interior;
          if (!obj["points"]["interior"].get_array().get(interior)) {
            for (auto hole : interior) {
              simdjson::dom::array ring;
              if (!hole.get_array().get(ring)) area -= ring_area(ring);
            }
          }
          d.mask_area = static_cast<float>(std::clamp(area / (double(w) * double(h)), 0.0, 1.0));
        }
      } else {
        problems.report(ProblemKind::kUnsupportedGeometry, file_name, record, frame_id, cls,
                        fmt::format("geometry \"{}\" has no box", geometry));
        ++result.summary.skipped_objects;
        continue;
      }
      if (!problems.accept_pixel_box(x0, y0, x1, y1, double(w), double(h), file_name, record,
                                     frame_id, cls, d.box)) {
        continue;
      }
      event.detections.push_back(d);
    }
    ++result.summary.images;
    result.summary.objects += event.detections.size();
    on_event(event);
  }
  if (readable == 0) {
    result.error = fmt::format("{}: empty dataset: none of the {} annotation files could be read",
                               path.string(), images.size());
  }
  return result;
}

}  // namespace predwatch::daemon
