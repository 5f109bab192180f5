#include "daemon/cli/confusion_matrix.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <tuple>
#include <unordered_map>

#include "core/box_geometry.h"
#include "daemon/cli/text_table.h"

namespace predwatch::daemon {
namespace {

struct Candidate {
  double iou;
  float score;
  uint32_t truth, predicted;  // box indices within the image
};

float score_of(const ReportBox& b) { return b.score < 0 ? 1.0f : b.score; }

}  // namespace

ConfusionMatrix match_boxes(const ReportImages& truth, const ReportImages& predicted,
                            const ConfusionOptions& options) {
  ConfusionMatrix m;
  m.options = options;

  // Classes: names of both sides, ordered by truth boxes, then predictions, then name.
  std::map<std::string, std::pair<int64_t, int64_t>> counts;
  for (const std::string& n : truth.names()) counts[n];
  for (const std::string& n : predicted.names()) counts[n];
  for (const ReportImage& img : truth.images())
    for (const ReportBox& b : img.boxes) ++counts[truth.names()[b.name_id]].first;
  for (const ReportImage& img : predicted.images())
    for (const ReportBox& b : img.boxes)
      if (score_of(b) >= options.min_score) ++counts[predicted.names()[b.name_id]].second;
  for (const auto& [name, c] : counts) m.classes.push_back(name);
  std::stable_sort(m.classes.begin(), m.classes.end(), [&](const auto& x, const auto& y) {
    const auto &cx = counts[x], &cy = counts[y];
    return cx.first != cy.first ? cx.first > cy.first : cx.second > cy.second;
  });
  std::unordered_map<std::string, uint32_t> index;
  for (uint32_t i = 0; i < m.classes.size(); ++i) index[m.classes[i]] = i;
  for (const std::string& c : m.classes) {
    m.truth_boxes.push_back(counts[c].first);
    m.predicted_boxes.push_back(counts[c].second);
  }
  std::vector<uint32_t> truth_class, predicted_class;  // name_id -> class index
  for (const std::string& n : truth.names()) truth_class.push_back(index[n]);
  for (const std::string& n : predicted.names()) predicted_class.push_back(index[n]);

  const size_t C = m.classes.size(), S = C + 1;
  m.boxes.assign(S * S, 0);
  m.images.assign(S * S, {});
  auto count = [&](size_t t, size_t p, uint32_t image) {
    m.boxes[t * S + p] += 1;
    std::vector<uint32_t>& list = m.images[t * S + p];
    if (list.empty() || list.back() != image) list.push_back(image);
  };

  // Images by name: truth order first, then predicted images the truth does not list.
  std::unordered_map<std::string, uint32_t> image_index;
  std::vector<const ReportImage*> truth_of, predicted_of;
  auto image_id = [&](const std::string& name) {
    auto [it, inserted] = image_index.try_emplace(name, uint32_t(m.image_names.size()));
    if (inserted) {
      m.image_names.push_back(name);
      truth_of.push_back(nullptr);
      predicted_of.push_back(nullptr);
    }
    return it->second;
  };
  for (const ReportImage& img : truth.images()) truth_of[image_id(img.name)] = &img;
  for (const ReportImage& img : predicted.images()) predicted_of[image_id(img.name)] = &img;

  std::vector<Candidate> candidates;
  std::vector<const ReportBox*> preds;
  std::vector<char> truth_used, pred_used;
  static const std::vector<ReportBox> kNone;
  for (uint32_t i = 0; i < m.image_names.size(); ++i) {
    const std::vector<ReportBox>& tb = truth_of[i] ? truth_of[i]->boxes : kNone;
    preds.clear();
    if (predicted_of[i])
      for (const ReportBox& b : predicted_of[i]->boxes)
        if (score_of(b) >= options.min_score) preds.push_back(&b);
    candidates.clear();
    for (uint32_t t = 0; t < tb.size(); ++t) {
      for (uint32_t p = 0; p < preds.size(); ++p) {
        const double v = core::iou(tb[t].box, preds[p]->box);
        if (v >= options.iou && v > 0) candidates.push_back({v, score_of(*preds[p]), t, p});
      }
    }
    std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
      return std::tie(b.iou, b.score, a.truth, a.predicted) <
             std::tie(a.iou, a.score, b.truth, b.predicted);
    });
    truth_used.assign(tb.size(), 0);
    pred_used.assign(preds.size(), 0);
    for (const Candidate& c : candidates) {
      if (truth_used[c.truth] || pred_used[c.predicted]) continue;
      truth_used[c.truth] = pred_used[c.predicted] = 1;
      count(truth_class[tb[c.truth].name_id], predicted_class[preds[c.predicted]->name_id], i);
    }
    for (uint32_t t = 0; t < tb.size(); ++t)
      if (!truth_used[t]) count(truth_class[tb[t].name_id], C, i);
    for (uint32_t p = 0; p < preds.size(); ++p)
      if (!pred_used[p]) count(C, predicted_class[preds[p]->name_id], i);
  }
  return m;
}

void write_confusion_json(JsonWriter& w, const ConfusionMatrix& m) {
  const size_t C = m.classes.size(), S = m.size();
  w.key("confusion").begin_object();
  w.key("min_score").value(m.options.min_score);
  w.key("iou").value(m.options.iou);
  w.key("classes").begin_array();
  for (const std::string& c : m.classes) w.value(c);
  w.end_array();
  w.key("cells").begin_array();
  for (size_t t = 0; t < S; ++t) {
    for (size_t p = 0; p < S; ++p) {
      if (m.at(t, p) == 0) continue;
      w.begin_object();
      w.key("truth");
      if (t == C)
        w.null();
      else
        w.value(m.classes[t]);
      w.key("predicted");
      if (p == C)
        w.null();
      else
        w.value(m.classes[p]);
      w.key("boxes").value(m.at(t, p));
      w.key("images").begin_array();
      for (uint32_t i : m.images[t * S + p]) w.value(m.image_names[i]);
      w.end_array();
      w.end_object();
    }
  }
  w.end_array();
  w.key("per_class").begin_array();
  for (size_t c = 0; c < C; ++c) {
    const int64_t tp = m.at(c, c);
    w.begin_object();
    w.key("name").value(m.classes[c]);
    w.key("truth").value(m.truth_boxes[c]);
    w.key("predicted").value(m.predicted_boxes[c]);
    w.key("tp").value(tp);
    w.key("precision")
        .value(m.predicted_boxes[c] ? double(tp) / double(m.predicted_boxes[c]) : std::nan(""));
    w.key("recall").value(m.truth_boxes[c] ? double(tp) / double(m.truth_boxes[c]) : std::nan(""));
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

std::string render_confusion_table(const ConfusionMatrix& m, size_t max_classes) {
  const size_t C = m.classes.size();
  if (max_classes == 0) max_classes = C;  // 0: every class
  auto ratio = [](int64_t a, int64_t b) {
    if (b == 0) return std::string("-");
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", double(a) / double(b));
    return std::string(buf);
  };
  std::ostringstream out;
  out << "Predictions against the ground truth (IoU >= " << m.options.iou
      << ", score >= " << m.options.min_score << "):\n";
  TextTable t({"class", "truth", "predicted", "tp", "precision", "recall", "most confused with"});
  int64_t truth = 0, predicted = 0, tp_all = 0;
  for (size_t c = 0; c < C; ++c) {
    const int64_t tp = m.at(c, c);
    truth += m.truth_boxes[c];
    predicted += m.predicted_boxes[c];
    tp_all += tp;
    if (c >= max_classes) continue;
    size_t worst = c;
    for (size_t p = 0; p <= C; ++p) {
      if (p != c && m.at(c, p) > 0 && (worst == c || m.at(c, p) > m.at(c, worst))) worst = p;
    }
    std::string confused = "-";
    if (worst != c) {
      confused = (worst == C ? std::string("missed") : m.classes[worst]) + " (" +
                 std::to_string(m.at(c, worst)) + ")";
    }
    t.add_row({m.classes[c], std::to_string(m.truth_boxes[c]), std::to_string(m.predicted_boxes[c]),
               std::to_string(tp), ratio(tp, m.predicted_boxes[c]), ratio(tp, m.truth_boxes[c]),
               confused});
  }
  t.add_row({"(all)", std::to_string(truth), std::to_string(predicted), std::to_string(tp_all),
             ratio(tp_all, predicted), ratio(tp_all, truth), "-"});
  out << t.render();
  if (C > max_classes) out << "(" << C - max_classes << " more classes: --max-classes)\n";
  return out.str();
}

}  // namespace predwatch::daemon
