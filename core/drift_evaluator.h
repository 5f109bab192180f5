// evaluate_drift: compares one window's statistics with a baseline and returns every drift
// measure of docs/DRIFT.md — scores, thresholds, corrected p-values, counts, and whether
// each is flagged (evidence and effect). Pure and deterministic.
//
// Classes are matched by name: `window_names[i]` names ClassId i of `window`, and the
// baseline carries its own names. Classes on only one side take part with zero counts on
// the other (that is how class_appeared / class_vanished / novel pairs arise).
//
// Cost: O(C·B) for C classes and B bins per class histogram, plus O(P log P) for the P
// pairs present in the window or the baseline; bounded by the drift benchmark (≤ 50 ms for
// C = 1000 on one core, docs/BENCHMARKS.md).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/drift_report.h"
#include "core/stats.h"

namespace predwatch::core {

DriftReport evaluate_drift(std::string_view stream, std::string_view window_name,
                           const Stats& window, std::span<const std::string> window_names,
                           const BaselineStats& baseline, const ThresholdResolver& thresholds,
                           int64_t now_ms);

}  // namespace predwatch::core
