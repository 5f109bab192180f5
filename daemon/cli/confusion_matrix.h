// The confusion matrix of a model's boxes against the ground truth of the same images, for
// the HTML report of `predwatch dataset report PRED --format coco-results --ground-truth GT
// --html OUT.html` (docs/WEB.md "Model errors").
//
// Matching, per image (images paired by name): the predicted boxes with a score >= min_score
// (unscored boxes count as scored 1) and the ground-truth boxes; every (truth, prediction)
// pair of any classes with IoU >= iou is a candidate; candidates are taken in descending IoU
// (ties: higher score, then truth index, then prediction index) when neither box is taken
// yet — each box is matched at most once, classes ignored (so a dog predicted as a cat is a
// cell off the diagonal). A truth box left unmatched is *missed*; a prediction left unmatched
// is *spurious*. Per class: tp = matched with the same class, precision = tp / predictions of
// the class (>= min_score), recall = tp / truth boxes of the class (NaN when the divisor is 0).
//
// Pure function of its inputs; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "daemon/cli/html_report.h"
#include "daemon/common/json_writer.h"

namespace predwatch::daemon {

struct ConfusionOptions {
  double min_score = 0.5;
  double iou = 0.5;
};

struct ConfusionMatrix {
  ConfusionOptions options;
  // Every class of either side, by truth boxes desc, then predictions desc, then name.
  std::vector<std::string> classes;
  // (C + 1) x (C + 1), row = truth class, column = predicted class; row C = no truth
  // (spurious predictions), column C = no prediction (missed truth); cell (C, C) stays 0.
  std::vector<int64_t> boxes;
  // Per cell, the images (indices into image_names, ascending, distinct) with such a box.
  std::vector<std::vector<uint32_t>> images;
  std::vector<std::string> image_names;  // every image of either side, truth order first
  std::vector<int64_t> truth_boxes, predicted_boxes;  // per class (predictions >= min_score)

  size_t size() const { return classes.size() + 1; }
  int64_t at(size_t truth, size_t predicted) const { return boxes[truth * size() + predicted]; }
};

ConfusionMatrix match_boxes(const ReportImages& truth, const ReportImages& predicted,
                            const ConfusionOptions& options);

// Writes "confusion": {"min_score", "iou", "classes": [...], "cells": [{"truth", "predicted",
// "boxes", "images": [names]}] (non-zero cells; null truth = spurious, null predicted =
// missed), "per_class": [{"name", "truth", "predicted", "tp", "precision", "recall"}]}.
void write_confusion_json(JsonWriter& w, const ConfusionMatrix& m);

// An aligned table for the terminal: per class (the `max_classes` with most truth boxes; 0:
// every class),
// truth and predicted boxes, matched (tp), precision, recall, and the class it is most often
// confused with (the largest off-diagonal cell of its row, "missed" for column C); then the
// totals. "-" where a ratio has no denominator.
std::string render_confusion_table(const ConfusionMatrix& m, size_t max_classes);

}  // namespace predwatch::daemon
