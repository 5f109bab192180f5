#include "daemon/dataset/coco_importer.h"

#include <absl/container/flat_hash_map.h>
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <span>

#include "daemon/dataset/json_array_scanner.h"
#include "daemon/dataset/problem_recorder.h"

namespace predwatch::daemon {
namespace {

namespace od = simdjson::ondemand;

struct ImageRow {
  int64_t id = 0;
  uint32_t width = 0, height = 0;
  uint32_t name_begin = 0, name_len = 0;
  uint32_t count = 0;   // annotations naming this image (pass B)
  uint32_t origin = 0;  // first slot in the pass-C buffer
  uint32_t cursor = 0;  // next free slot in the pass-C buffer
  bool valid = false;   // has a usable size
};

// One buffered annotation (pass C).
struct AnnRec {
  core::Box box;
  float score;
  float mask_area;
  int32_t class_index;
  uint32_t category;
};

// Calls handle(obj, index) for each element of a batch. If the batch cannot be walked as a
// whole (a malformed element, or any field error), the remaining elements are re-parsed one
// by one so that exactly the bad ones are reported through on_bad(index, error text).
template <typename Handle, typename OnBad>
void for_each_object(const JsonArrayBatch& batch, od::parser& parser, std::string& scratch,
                     Handle&& handle, OnBad&& on_bad) {
  size_t n = batch.element_begin.size();
  size_t i = 0;
  {
    od::document doc;
    od::array arr;
    if (!parser.iterate(batch.padded()).get(doc) && !doc.get_array().get(arr)) {
      for (auto el : arr) {
        od::object obj;
        if (el.get_object().get(obj) || handle(obj, batch.first_index + i, /*final=*/false)) break;
        ++i;
      }
    }
  }
  for (; i < n; ++i) {
    size_t b = batch.element_begin[i], e = batch.element_end[i];
    scratch.assign(batch.json.substr(b, e - b));
    size_t len = scratch.size();
    scratch.resize(len + simdjson::SIMDJSON_PADDING);
    od::document doc;
    od::object obj;
    auto err = parser.iterate(scratch.data(), len, scratch.size()).get(doc);
    if (!err) err = doc.get_object().get(obj);
    if (err) {
      on_bad(batch.first_index + i, simdjson::error_message(err));
      continue;
    }
    handle(obj, batch.first_index + i, /*final=*/true);
  }
}

class CocoReader {
 public:
  CocoReader(const ImportOptions& options, ImportResult& result)
      : options_(options), result_(result), problems_(options, result.summary) {}

  // Pass A over the instances file. With `count_annotations`, annotations that come after
  // the images array are counted per image in the same pass (pass B is then not needed).
  bool load_ground_truth(const std::filesystem::path& gt, bool count_annotations) {
    gt_file_ = gt.string();
    constexpr std::string_view keys[] = {"images", "categories", "annotations"};
    std::span<const std::string_view> selected(keys, count_annotations ? 3 : 2);
    bool saw_images = false, saw_annotations = false;
    counted_ = count_annotations;
    auto scan = scan_json_arrays(gt, selected, [&](const JsonArrayBatch& b) {
      if (b.key == "annotations") {
        if (!saw_images) {
          counted_ = false;  // the image table is not complete yet: pass B will count
          return;
        }
        saw_annotations = true;
        for_each_object(
            b, parser_, scratch_, [&](od::object o, uint64_t, bool) { return count_one(o); },
            [](uint64_t, std::string_view) {});
      } else if (b.key == "images") {
        saw_images = true;
        // More images after annotations (a repeated "images" key): the annotations of those
        // images were not counted, so pass B counts again over the complete image table.
        if (saw_annotations) counted_ = false;
        for_each_object(
            b, parser_, scratch_,
            [&](od::object o, uint64_t i, bool final) { return read_image(o, i, final); },
            [&](uint64_t i, std::string_view err) { bad_record(gt_file_, "images", i, err); });
      } else {
        for_each_object(
            b, parser_, scratch_,
            [&](od::object o, uint64_t i, bool final) { return read_category(o, i, final); },
            [&](uint64_t i, std::string_view err) { bad_record(gt_file_, "categories", i, err); });
      }
    });
    if (!scan.error.empty()) return fatal(scan.error);
    auto has = [&](std::string_view k) {
      return std::find(scan.arrays.begin(), scan.arrays.end(), k) != scan.arrays.end();
    };
    if (scan.top_level_array)
      return fatal(fmt::format(
          "{}: a JSON array, not a COCO instances object (is it a results file?)", gt_file_));
    if (!has("images")) return fatal(fmt::format("{}: no \"images\" array", gt_file_));
    if (!has("categories")) return fatal(fmt::format("{}: no \"categories\" array", gt_file_));
    if (images_.empty()) return fatal(fmt::format("{}: empty dataset: no images", gt_file_));
    if (!saw_images) counted_ = false;
    return true;
  }

  // Passes B and C over the annotations, then emission.
  bool read_annotations(const std::filesystem::path& file, bool results,
                        const EventCallback& on_event) {
    ann_file_ = file.string();
    results_ = results;
    std::vector<std::string_view> keys = {"annotations"};
    if (results) keys.push_back("");
    // Pass B, unless pass A counted already.
    JsonScanResult scan;
    if (!counted_) {
      for (auto& row : images_) row.count = 0;
      ++passes_;
      scan = scan_json_arrays(file, keys, [&](const JsonArrayBatch& b) {
        for_each_object(
            b, parser_, scratch_, [&](od::object o, uint64_t, bool) { return count_one(o); },
            [](uint64_t, std::string_view) {});
      });
      if (!scan.error.empty()) return fatal(scan.error);
    }
    if (results && !counted_ && scan.arrays.empty()) {
      return fatal(fmt::format(
          "{}: neither a JSON array of results nor an object with \"annotations\"", ann_file_));
    }
    // Ranges of images whose annotations fit the budget.
    size_t max_recs = std::max<size_t>(1, options_.annotation_buffer_bytes / sizeof(AnnRec));
    size_t lo = 0;
    bool first_range = true;
    while (lo < images_.size()) {
      size_t hi = lo, total = 0;
      while (hi < images_.size() && (hi == lo || total + images_[hi].count <= max_recs)) {
        total += images_[hi].count;
        ++hi;
      }
      ++passes_;
      lo_ = lo;
      hi_ = hi;
      first_range_ = first_range;
      recs_.assign(total, AnnRec{});
      uint32_t off = 0;
      for (size_t r = lo; r < hi; ++r) {
        images_[r].origin = images_[r].cursor = off;
        off += images_[r].count;
      }
      if (total > 0 || first_range) {
        auto scan_c = scan_json_arrays(file, keys, [&](const JsonArrayBatch& b) {
          current_array_ = b.key.empty() ? "results" : "annotations";
          for_each_object(
              b, parser_, scratch_,
              [&](od::object o, uint64_t i, bool final) { return read_annotation(o, i, final); },
              [&](uint64_t i, std::string_view err) {
                if (first_range_) bad_record(ann_file_, current_array_, i, err, true);
              });
        });
        if (!scan_c.error.empty()) return fatal(scan_c.error);
      }
      emit(lo, hi, on_event);
      lo = hi;
      first_range = false;
    }
    return true;
  }

  int passes() const { return passes_; }

 private:
  bool fatal(std::string message) {
    result_.error = std::move(message);
    return false;
  }

  void bad_record(std::string_view file, std::string_view array, uint64_t i, std::string_view err,
                  bool object = false) {
    problems_.report(ProblemKind::kMalformedRecord, file, fmt::format("{}[{}]", array, i), "", "",
                     fmt::format("not a valid JSON object ({})", err));
    if (object) ++result_.summary.skipped_objects;
  }

  // Returns true when the batch walk must fall back to one-by-one parsing.
  bool read_image(od::object o, uint64_t index, bool final) {
    int64_t id = 0, w = -1, h = -1;
    bool has_id = false;
    std::string_view name;
    for (auto field : o) {
      std::string_view key;
      if (auto err = field.unescaped_key().get(key))
        return fail_or(final, index, "images", "member name", "", err);
      od::value v;
      if (auto err = field.value().get(v)) return fail_or(final, index, "images", key, "", err);
      if (key == "id") {
        if (auto err = v.get_int64().get(id))
          return fail_or(final, index, "images", "id", "not an integer", err);
        has_id = true;
      } else if (key == "width") {
        if (v.get_int64().get(w)) w = -2;
      } else if (key == "height") {
        if (v.get_int64().get(h)) h = -2;
      } else if (key == "file_name") {
        if (auto err = v.get_string().get(name))
          return fail_or(final, index, "images", "file_name", "not a string", err);
        // get_string's view lives in the parser's string buffer; copy below before the next
        // element.
        name_tmp_.assign(name);
        name = name_tmp_;
      }
    }
    std::string record = fmt::format("images[{}]", index);
    if (!has_id) {
      problems_.report(ProblemKind::kMissingField, gt_file_, record, name, "", "missing \"id\"");
      ++result_.summary.skipped_images;
      return false;
    }
    auto [it, inserted] = image_index_.try_emplace(id, static_cast<uint32_t>(images_.size()));
    if (!inserted) {
      problems_.report(ProblemKind::kMalformedRecord, gt_file_,
                       fmt::format("{} (id {})", record, id), name, "", "duplicate image id");
      ++result_.summary.skipped_images;
      return false;
    }
    ImageRow row;
    row.id = id;
    row.name_begin = static_cast<uint32_t>(names_.size());
    if (name.empty()) {
      fmt::format_to(std::back_inserter(names_), "{}", id);
    } else {
      names_.append(name);
    }
    row.name_len = static_cast<uint32_t>(names_.size() - row.name_begin);
    if (w > 0 && h > 0 && w <= UINT32_MAX && h <= UINT32_MAX) {
      row.width = static_cast<uint32_t>(w);
      row.height = static_cast<uint32_t>(h);
      row.valid = true;
    } else {
      problems_.report(ProblemKind::kNoImageSize, gt_file_, fmt::format("{} (id {})", record, id),
                       std::string_view(names_).substr(row.name_begin, row.name_len), "",
                       w == -1 || h == -1 ? "missing \"width\"/\"height\""
                                          : "width/height not positive integers");
      ++result_.summary.skipped_images;
    }
    images_.push_back(row);
    return false;
  }

  bool read_category(od::object o, uint64_t index, bool final) {
    int64_t id = 0;
    bool has_id = false;
    std::string_view name;
    bool has_name = false;
    for (auto field : o) {
      std::string_view key;
      if (auto err = field.unescaped_key().get(key))
        return fail_or(final, index, "categories", "member name", "", err);
      od::value v;
      if (auto err = field.value().get(v)) return fail_or(final, index, "categories", key, "", err);
      if (key == "id") {
        if (auto err = v.get_int64().get(id))
          return fail_or(final, index, "categories", "id", "not an integer", err);
        has_id = true;
      } else if (key == "name") {
        if (auto err = v.get_string().get(name))
          return fail_or(final, index, "categories", "name", "not a string", err);
        name_tmp_.assign(name);
        has_name = true;
      }
    }
    if (!has_id || !has_name) {
      problems_.report(ProblemKind::kMissingField, gt_file_, fmt::format("categories[{}]", index),
                       "", "", !has_id ? "missing \"id\"" : "missing \"name\"");
      return false;
    }
    if (category_index_.contains(id)) {
      problems_.report(ProblemKind::kMalformedRecord, gt_file_,
                       fmt::format("categories[{}] (id {})", index, id), "", name_tmp_,
                       "duplicate category id");
      return false;
    }
    category_index_[id] = static_cast<uint32_t>(category_names_.size());
    category_names_.push_back(name_tmp_);
    return false;
  }

  // Pass B: count annotations per image. Bad records are ignored here (pass C reports them).
  // Counts the annotation for its image as read_annotation will see it: not at all when its
  // "image_id" is repeated or not an integer (pass C rejects the record then).
  bool count_one(od::object o) {
    int64_t image_id = 0;
    bool has_image = false;
    for (auto field : o) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return true;
      if (key == "image_id") {
        if (has_image || field.value().get_int64().get(image_id)) return false;
        has_image = true;
      }
    }
    if (!has_image) return false;
    auto it = image_index_.find(image_id);
    if (it != image_index_.end()) ++images_[it->second].count;
    return false;
  }

  // Pass C.
  bool read_annotation(od::object o, uint64_t index, bool final) {
    std::string_view array = current_array_;
    int64_t ann_id = -1, image_id = 0, category_id = 0;
    bool has_image = false, has_category = false, has_bbox = false, has_segm = false;
    bool repeated_image = false;
    double bbox[4] = {0, 0, 0, 0};
    double score = -1, area = -1;
    bool has_score = false;
    bool bad_bbox = false;
    bool is_crowd = false;
    for (auto field : o) {
      std::string_view key;
      if (auto err = field.unescaped_key().get(key))
        return fail_or(final, index, array, "member name", "", err);
      od::value v;
      if (auto err = field.value().get(v)) return fail_or(final, index, array, key, "", err);
      if (key == "image_id") {
        if (auto err = v.get_int64().get(image_id))
          return fail_or(final, index, array, "image_id", "not an integer", err);
        repeated_image |= has_image;
        has_image = true;
      } else if (key == "category_id") {
        if (auto err = v.get_int64().get(category_id))
          return fail_or(final, index, array, "category_id", "not an integer", err);
        has_category = true;
      } else if (key == "bbox") {
        od::array a;
        if (auto err = v.get_array().get(a))
          return fail_or(final, index, array, "bbox", "not an array", err);
        int k = 0;
        for (auto x : a) {
          double d;
          if (auto err = x.get_double().get(d))
            return fail_or(final, index, array, "bbox", "not an array of numbers", err);
          if (k < 4) bbox[k] = d;
          ++k;
        }
        has_bbox = true;
        bad_bbox = k != 4;
      } else if (key == "score") {
        if (auto err = v.get_double().get(score))
          return fail_or(final, index, array, "score", "not a number", err);
        has_score = true;
      } else if (key == "area") {
        if (v.get_double().get(area)) area = -1;
      } else if (key == "id") {
        if (v.get_int64().get(ann_id)) ann_id = -1;
      } else if (key == "iscrowd") {
        int64_t crowd = 0;
        if (!v.get_int64().get(crowd)) is_crowd = crowd != 0;
      } else if (key == "segmentation") {
        // A polygon list or an RLE object; an empty list (box-only exporters) is no mask.
        od::array polygons;
        bool empty = false;
        if (!v.get_array().get(polygons)) {
          if (polygons.is_empty().get(empty)) empty = true;
        }
        has_segm = !empty;
      }
    }
    if (!has_image) {
      if (first_range_) {
        problems_.report(ProblemKind::kMissingField, ann_file_,
                         record_name(array, index, ann_id, -1), "", "", "missing \"image_id\"");
        ++result_.summary.skipped_objects;
      }
      return false;
    }
    if (repeated_image) {  // which image? Not counted by pass A/B either (count_one)
      if (first_range_) {
        problems_.report(ProblemKind::kMalformedRecord, ann_file_,
                         record_name(array, index, ann_id, image_id), "", "",
                         "inconsistent record: repeated \"image_id\" key");
        ++result_.summary.skipped_objects;
      }
      return false;
    }
    auto it = image_index_.find(image_id);
    if (it == image_index_.end()) {
      if (first_range_) {
        problems_.report(ProblemKind::kUnknownImage, ann_file_,
                         record_name(array, index, ann_id, image_id), "", "",
                         fmt::format("image_id {} is not in the images of {}", image_id, gt_file_));
        ++result_.summary.skipped_objects;
      }
      return false;
    }
    uint32_t row_index = it->second;
    if (row_index < lo_ || row_index >= hi_) return false;
    ImageRow& row = images_[row_index];
    std::string_view image_name = std::string_view(names_).substr(row.name_begin, row.name_len);
    auto skip = [&](ProblemKind kind, std::string_view category, std::string detail) {
      problems_.report(kind, ann_file_, record_name(array, index, ann_id, image_id), image_name,
                       category, detail);
      ++result_.summary.skipped_objects;
      return false;
    };
    if (!row.valid) {  // already reported once for the image
      ++result_.summary.skipped_objects;
      return false;
    }
    if (is_crowd && options_.skip_crowd) {
      ++result_.summary.skipped_objects;
      return false;
    }
    if (!has_category) return skip(ProblemKind::kMissingField, "", "missing \"category_id\"");
    if (!has_bbox) return skip(ProblemKind::kMissingField, "", "missing \"bbox\"");
    if (bad_bbox) return skip(ProblemKind::kMissingField, "", "\"bbox\" must have 4 numbers");
    // A confidence outside [0, 1] is rejected, as the live decoders do (kBadConfidence).
    if (has_score && !(score >= 0 && score <= 1)) {
      return skip(ProblemKind::kMalformedRecord, "",
                  fmt::format("\"score\" {} is not a confidence in [0, 1]", score));
    }
    int32_t class_index = -1;
    if (results_ && !options_.category_id_by_index.empty()) {
      if (category_id < 0 ||
          static_cast<size_t>(category_id) >= options_.category_id_by_index.size()) {
        return skip(ProblemKind::kUnknownCategory, fmt::format("{}", category_id),
                    fmt::format("category index {} outside the index table (size {})", category_id,
                                options_.category_id_by_index.size()));
      }
      class_index = static_cast<int32_t>(category_id);
      category_id = options_.category_id_by_index[static_cast<size_t>(category_id)];
    }
    auto cat = category_index_.find(category_id);
    if (cat == category_index_.end()) {
      return skip(
          ProblemKind::kUnknownCategory, fmt::format("{}", category_id),
          fmt::format("category_id {} is not in the categories of {}", category_id, gt_file_));
    }
    AnnRec rec;
    BoxCheck check = normalise_pixel_box(bbox[0], bbox[1], bbox[0] + bbox[2], bbox[1] + bbox[3],
                                         row.width, row.height, rec.box);
    std::string_view cat_name = category_names_[cat->second];
    if (check == BoxCheck::kDegenerate) {
      return skip(ProblemKind::kDegenerateBox, cat_name,
                  fmt::format("bbox [{}, {}, {}, {}] has no area inside the {}x{} image", bbox[0],
                              bbox[1], bbox[2], bbox[3], row.width, row.height));
    }
    if (check == BoxCheck::kClipped) {
      problems_.report(ProblemKind::kBoxOutsideImage, ann_file_,
                       record_name(array, index, ann_id, image_id), image_name, cat_name,
                       fmt::format("bbox [{}, {}, {}, {}] extends beyond the {}x{} image; clipped",
                                   bbox[0], bbox[1], bbox[2], bbox[3], row.width, row.height));
    }
    rec.score = score >= 0 ? static_cast<float>(score) : core::kNoConfidence;
    // A fraction of the image: an area larger than the image counts as the whole image.
    rec.mask_area = has_segm && area > 0
                        ? static_cast<float>(std::min(1.0, area / (double(row.width) * row.height)))
                        : core::kNoMaskArea;
    rec.class_index = class_index;
    rec.category = cat->second;
    if (row.cursor >= row.origin + row.count) {
      // Only when the two reads disagree (e.g. a repeated "image_id" key): never overrun.
      return skip(ProblemKind::kMalformedRecord, cat_name, "inconsistent record (repeated keys?)");
    }
    recs_[row.cursor++] = rec;
    return false;
  }

  std::string record_name(std::string_view array, uint64_t index, int64_t ann_id,
                          int64_t image_id) {
    std::string s = fmt::format("{}[{}]", array, index);
    if (ann_id >= 0 && image_id >= 0) {
      s += fmt::format(" (id {}, image_id {})", ann_id, image_id);
    } else if (ann_id >= 0) {
      s += fmt::format(" (id {})", ann_id);
    } else if (image_id >= 0) {
      s += fmt::format(" (image_id {})", image_id);
    }
    return s;
  }

  // A field that cannot be read. In a batch walk: ask for the one-by-one walk. In the
  // one-by-one walk: report the record and skip it. Returns true (stop reading the record).
  bool fail_or(bool final, uint64_t index, std::string_view array, std::string_view field,
               std::string_view what = "unreadable",
               simdjson::error_code err = simdjson::INCORRECT_TYPE) {
    if (!final) return true;
    bool gt = array == "images" || array == "categories";
    if (!gt && !first_range_) return true;
    // A value of the wrong type is a field problem; anything else means the JSON is broken.
    bool type_error = err == simdjson::INCORRECT_TYPE || err == simdjson::NUMBER_ERROR ||
                      err == simdjson::NUMBER_OUT_OF_RANGE;
    std::string detail = type_error ? fmt::format("\"{}\" {}", field, what)
                                    : fmt::format("not a valid JSON object near \"{}\" ({})", field,
                                                  simdjson::error_message(err));
    problems_.report(type_error ? ProblemKind::kMissingField : ProblemKind::kMalformedRecord,
                     gt ? gt_file_ : ann_file_, fmt::format("{}[{}]", array, index), "", "",
                     detail);
    if (array == "images") ++result_.summary.skipped_images;
    if (!gt) ++result_.summary.skipped_objects;
    return true;
  }

  void emit(size_t lo, size_t hi, const EventCallback& on_event) {
    for (size_t r = lo; r < hi; ++r) {
      const ImageRow& row = images_[r];
      if (!row.valid) continue;
      event_.clear();
      event_.frame_id = std::string_view(names_).substr(row.name_begin, row.name_len);
      event_.stream = options_.stream;
      event_.model_name = options_.model_name;
      event_.model_version = options_.model_version;
      event_.time_ms = options_.time_ms;
      event_.width = row.width;
      event_.height = row.height;
      for (size_t k = row.origin; k < row.cursor; ++k) {
        const AnnRec& a = recs_[k];
        core::NamedDetection d;
        d.class_name = category_names_[a.category];
        d.class_index = a.class_index;
        d.confidence = a.score;
        d.box = a.box;
        d.mask_area = a.mask_area;
        event_.detections.push_back(d);
      }
      ++result_.summary.images;
      result_.summary.objects += event_.detections.size();
      on_event(event_);
    }
  }

  const ImportOptions& options_;
  ImportResult& result_;
  ProblemRecorder problems_;
  std::string gt_file_, ann_file_;
  bool results_ = false;
  std::string_view current_array_ = "annotations";
  od::parser parser_;
  std::string scratch_, name_tmp_;
  std::vector<ImageRow> images_;
  absl::flat_hash_map<int64_t, uint32_t> image_index_;
  std::string names_;  // frame ids, concatenated
  absl::flat_hash_map<int64_t, uint32_t> category_index_;
  std::vector<std::string> category_names_;
  std::vector<AnnRec> recs_;
  size_t lo_ = 0, hi_ = 0;
  bool first_range_ = true;
  int passes_ = 1;  // pass A
  bool counted_ = false;
  core::Event event_;
};

}  // namespace

ImportResult CocoImporter::import(const std::filesystem::path& path, const ImportOptions& options,
                                  const EventCallback& on_event) const {
  ImportResult result;
  CocoReader reader(options, result);
  if (reader.load_ground_truth(path, /*count_annotations=*/true)) {
    reader.read_annotations(path, /*results=*/false, on_event);
  }
  return result;
}

ImportResult CocoResultsImporter::import(const std::filesystem::path& path,
                                         const ImportOptions& options,
                                         const EventCallback& on_event) const {
  ImportResult result;
  if (options.ground_truth.empty()) {
    result.error = fmt::format(
        "{}: coco-results needs the ground-truth instances file (ImportOptions::ground_truth)",
        path.string());
    return result;
  }
  CocoReader reader(options, result);
  if (reader.load_ground_truth(options.ground_truth, /*count_annotations=*/false))
    reader.read_annotations(path, /*results=*/true, on_event);
  return result;
}

}  // namespace predwatch::daemon
