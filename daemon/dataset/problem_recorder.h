// Shared by the importers: counts per-record problems into an ImportSummary, keeps the first
// few messages and forwards each problem to ImportOptions::on_problem. Also the one place
// where pixel boxes become normalised, clipped core::Box values.
// Thread-safety: not thread-safe; one recorder per import() call.
#pragma once

#include <filesystem>
#include <string_view>

#include "core/frame.h"
#include "daemon/dataset/dataset_importer.h"

namespace predwatch::daemon {

class ProblemRecorder {
 public:
  // REQUIRES: options and summary outlive the recorder.
  ProblemRecorder(const ImportOptions& options, ImportSummary& summary)
      : options_(options), summary_(summary) {}

  // Counts the problem; the message reads "<file>: <record>: <detail>" (+ image/category).
  void report(ProblemKind kind, std::string_view file, std::string_view record,
              std::string_view image, std::string_view category, std::string_view detail);

  // Normalises a pixel box given by its corners (normalise_pixel_box) and reports what is
  // wrong with it: a box with no area inside the image is a kDegenerateBox problem, counted in
  // skipped_objects, and false is returned (skip the object); a box reaching beyond the image
  // is clipped, reported as kBoxOutsideImage, and kept.
  bool accept_pixel_box(double x0, double y0, double x1, double y1, double width, double height,
                        std::string_view file, std::string_view record, std::string_view image,
                        std::string_view category, core::Box& out);

 private:
  const ImportOptions& options_;
  ImportSummary& summary_;
};

enum class BoxCheck { kOk, kClipped, kDegenerate };

// Pixel box [x0, x1] x [y0, y1] on a width x height image to a normalised box clipped to the
// image. kDegenerate when it has no area after clipping (or any value is not finite).
// REQUIRES: width > 0 and height > 0.
BoxCheck normalise_pixel_box(double x0, double y0, double x1, double y1, double width,
                             double height, core::Box& out);

// `folder` without "." segments or a trailing separator, so that its filename() and
// comparisons with parent_path() of the files below it behave.
std::filesystem::path normalised_folder(const std::filesystem::path& folder);

// Same for a box already in [0, 1] units (YOLO).
BoxCheck clip_normalised_box(double x0, double y0, double x1, double y1, core::Box& out);

}  // namespace predwatch::daemon
