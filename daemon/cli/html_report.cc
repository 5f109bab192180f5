#include "daemon/cli/html_report.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/box_geometry.h"
#include "daemon/web/web_assets.h"

namespace predwatch::daemon {
namespace {

core::Box clip(const core::Box& b) {
  auto c = [](float v) { return std::clamp(v, 0.0f, 1.0f); };
  return core::Box{c(b.x_min), c(b.y_min), c(b.x_max), c(b.y_max)};
}

double round4(double v) { return std::round(v * 1e4) / 1e4; }

void write_histogram(JsonWriter& w, std::span<const int64_t> h) {
  w.begin_array();
  for (int64_t v : h) w.value(v);
  w.end_array();
}

std::string_view asset(std::string_view path) {
  const WebAsset* a = find_web_asset(path);
  return a ? a->body : std::string_view();
}

// Escapes text for an HTML element's content.
std::string html_text(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else
      out += c;
  }
  return out;
}

}  // namespace

void ReportImages::add(const core::Event& event) {
  ReportImage& img = images_.emplace_back();
  img.name = std::string(event.frame_id);
  img.width = event.width;
  img.height = event.height;
  scratch_.clear();
  for (const core::NamedDetection& d : event.detections) {
    std::string name(d.class_name);
    auto [it, inserted] = ids_.try_emplace(name, uint32_t(names_.size()));
    if (inserted) names_.push_back(name);
    img.boxes.push_back(ReportBox{it->second, layout_.heatmap_cell(d.box), d.box, d.confidence});
    scratch_.push_back(clip(d.box));
  }
  img.covered = core::union_area_swept(scratch_, union_scratch_);  // any number of boxes
}

void write_report_members(JsonWriter& w, const core::Stats& stats,
                          const std::vector<std::string>& class_names, const ReportImages& images) {
  const core::StatsLayout& layout = stats.layout();
  w.key("layout").begin_object();
  w.key("heatmap_grid").value(layout.heatmap_grid);
  w.key("size_bins").value(layout.size_bins);
  w.key("max_objects_bucket").value(layout.max_objects_bucket);
  w.end_object();

  w.key("class_names").begin_array();
  for (const std::string& n : class_names) w.value(n);
  w.end_array();

  w.key("class_tables").begin_object();
  for (core::ClassId c = 0; c < stats.num_classes() && c < class_names.size(); ++c) {
    if (stats.objects_of(c) == 0) continue;
    w.key(class_names[c]).begin_object();
    w.key("heatmap");
    write_histogram(w, stats.heatmap(c));
    w.key("width");
    write_histogram(w, stats.width_histogram(c));
    w.key("height");
    write_histogram(w, stats.height_histogram(c));
    w.key("area");
    write_histogram(w, stats.area_histogram(c));
    w.end_object();
  }
  w.end_object();

  // The images' class names resolved to the report's class ids (names unknown to the stats,
  // which the importer would not emit, get ids after the known ones).
  std::map<std::string, uint32_t, std::less<>> id_of;
  for (uint32_t c = 0; c < class_names.size(); ++c) id_of.try_emplace(class_names[c], c);
  std::vector<uint32_t> ids;
  for (const std::string& n : images.names()) {
    auto it = id_of.find(n);
    ids.push_back(it != id_of.end() ? it->second : uint32_t(class_names.size() + ids.size()));
  }

  w.key("image_list").begin_array();
  std::vector<uint32_t> counts(images.names().size());
  for (const ReportImage& img : images.images()) {
    std::fill(counts.begin(), counts.end(), 0);
    double min_area = INFINITY;
    size_t distinct = 0;
    for (const ReportBox& b : img.boxes) {
      distinct += counts[b.name_id]++ == 0;
      min_area = std::min(min_area, double(clip(b.box).area()));
    }
    w.begin_object();
    w.key("name").value(img.name);
    w.key("width").value(img.width);
    w.key("height").value(img.height);
    w.key("objects").value(img.boxes.size());
    w.key("classes").value(distinct);
    w.key("covered_pct").value(round4(100 * img.covered));
    w.key("min_box_pct");
    if (img.boxes.empty())
      w.null();
    else
      w.value(round4(100 * min_area));
    w.key("counts").begin_object();
    for (size_t k = 0; k < counts.size(); ++k)
      if (counts[k] > 0) w.key(images.names()[k]).value(counts[k]);
    w.end_object();
    w.key("boxes").begin_array();
    for (const ReportBox& b : img.boxes) {
      w.begin_array().value(ids[b.name_id]).value(b.cell);
      w.value(round4(b.box.x_min)).value(round4(b.box.y_min));
      w.value(round4(b.box.x_max)).value(round4(b.box.y_max));
      w.end_array();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
}

std::string render_html_report(const std::string& title, std::string json) {
  // '<' only occurs inside JSON strings, where \u003c means the same character.
  std::string data;
  data.reserve(json.size() + json.size() / 16);
  for (char c : json) {
    if (c == '<')
      data += "\\u003c";
    else
      data += c;
  }
  std::string html;
  html.reserve(data.size() + 64 * 1024);
  html += "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ";
  html += "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += "<title>predwatch report · " + html_text(title) + "</title>\n";
  html += "<link rel=\"icon\" href=\"data:,\">\n<style>\n";
  html += asset("/app.css");
  html += asset("/report.css");
  html += "</style>\n</head>\n<body class=\"report\">\n";
  html +=
      "<noscript>This report draws its charts with JavaScript; enable it to see them.</noscript>\n";
  html += "<main id=\"main\"></main>\n";
  html += "<aside id=\"images\" hidden aria-label=\"Images\">\n";
  html += "<div class=\"ex-head\"><h2 id=\"images-title\">Images</h2>";
  html += "<button id=\"images-close\" title=\"Close (Esc)\">×</button></div>\n";
  html += "<p id=\"images-note\" class=\"muted\"></p>\n<ol id=\"images-list\"></ol>\n</aside>\n";
  html += "<div id=\"tooltip\" hidden></div>\n";
  html += "<script type=\"application/json\" id=\"report-data\">";
  html += data;
  html += "</script>\n<script>\n";
  html += asset("/report.js");
  html += "</script>\n</body>\n</html>\n";
  return html;
}

std::string check_report_file(const std::string& path) {
  std::error_code ec;
  const bool existed = std::filesystem::exists(path, ec);
  if (std::filesystem::is_directory(path, ec))
    return "--html: cannot write " + path + ": Is a directory";
  std::ofstream out(path, std::ios::binary | std::ios::app);
  if (!out) return "--html: cannot write " + path + ": " + std::strerror(errno);
  out.close();
  if (!existed) std::filesystem::remove(path, ec);
  return {};
}

std::string write_report_file(const std::string& path, const std::string& html) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return "--html: cannot write " + path + ": " + std::strerror(errno);
  out.write(html.data(), std::streamsize(html.size()));
  out.close();
  if (!out) return "--html: cannot write " + path + ": " + std::strerror(errno);
  return {};
}

}  // namespace predwatch::daemon
