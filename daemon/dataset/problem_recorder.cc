#include "daemon/dataset/problem_recorder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace predwatch::daemon {

void ProblemRecorder::report(ProblemKind kind, std::string_view file, std::string_view record,
                             std::string_view image, std::string_view category,
                             std::string_view detail) {
  ++summary_.problems[static_cast<size_t>(kind)];
  if (summary_.messages.size() < options_.max_messages) {
    std::string msg = fmt::format("{}: {}", file, record);
    if (!image.empty() && record.find(image) == std::string_view::npos) {
      msg += fmt::format(" (image {})", image);
    }
    msg += fmt::format(": {}: {}", problem_kind_name(kind), detail);
    summary_.messages.push_back(std::move(msg));
  }
  if (options_.on_problem) {
    options_.on_problem(ImportProblem{kind, file, record, image, category, detail});
  }
}

std::filesystem::path normalised_folder(const std::filesystem::path& folder) {
  std::filesystem::path p = folder.lexically_normal();
  if (p.filename().empty() && p.has_parent_path()) p = p.parent_path();
  return p;
}

BoxCheck clip_normalised_box(double x0, double y0, double x1, double y1, core::Box& out) {
  if (!std::isfinite(x0) || !std::isfinite(y0) || !std::isfinite(x1) || !std::isfinite(y1)) {
    return BoxCheck::kDegenerate;
  }
  // Rounding in exported files puts edges a hair outside the image; that is not a problem.
  constexpr double kSlack = 1e-4;
  bool clipped = x0 < -kSlack || y0 < -kSlack || x1 > 1 + kSlack || y1 > 1 + kSlack;
  out.x_min = static_cast<float>(std::clamp(x0, 0.0, 1.0));
  out.y_min = static_cast<float>(std::clamp(y0, 0.0, 1.0));
  out.x_max = static_cast<float>(std::clamp(x1, 0.0, 1.0));
  out.y_max = static_cast<float>(std::clamp(y1, 0.0, 1.0));
  if (!(out.x_max > out.x_min) || !(out.y_max > out.y_min)) return BoxCheck::kDegenerate;
  return clipped ? BoxCheck::kClipped : BoxCheck::kOk;
}

bool ProblemRecorder::accept_pixel_box(double x0, double y0, double x1, double y1, double width,
                                       double height, std::string_view file,
                                       std::string_view record, std::string_view image,
                                       std::string_view category, core::Box& out) {
  const BoxCheck check = normalise_pixel_box(x0, y0, x1, y1, width, height, out);
  if (check == BoxCheck::kDegenerate) {
    report(ProblemKind::kDegenerateBox, file, record, image, category,
           fmt::format("box ({}, {})-({}, {}) has no area inside the {}x{} image", x0, y0, x1, y1,
                       width, height));
    ++summary_.skipped_objects;
    return false;
  }
  if (check == BoxCheck::kClipped) {
    report(ProblemKind::kBoxOutsideImage, file, record, image, category,
           fmt::format("box ({}, {})-({}, {}) extends beyond the {}x{} image; clipped", x0, y0, x1,
                       y1, width, height));
  }
  return true;
}

BoxCheck normalise_pixel_box(double x0, double y0, double x1, double y1, double width,
                             double height, core::Box& out) {
  return clip_normalised_box(x0 / width, y0 / height, x1 / width, y1 / height, out);
}

}  // namespace predwatch::daemon
