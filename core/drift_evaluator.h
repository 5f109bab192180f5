// evaluate_drift: compares one window's statistics with a baseline and returns every drift
// measure of docs/DRIFT.md — scores, thresholds, corrected p-values, counts, and whether
// each is flagged (evidence and effect). Pure and deterministic.
//
// Classes are matched by name: `window_names[i]` names ClassId i of `window`, and the
// baseline carries its own names. Classes on only one side take part with zero counts on
// the other (that is how class_appeared / class_vanished / novel pairs arise).
//
// Dependence between frames: with the window's parts (its panes or blocks, in time order,
// core/sliding_window.h), every test measures how much the parts differ and divides its
// evidence accordingly (quasi-likelihood, core/dispersion.h; docs/DRIFT.md "Correlated
// frames"). Without parts, frames are taken as independent (the behaviour before parts).
//
// Filling windows: with `window_fill` (the covered share of the window's length or capacity,
// StreamMonitor::fill_ratio) below the stream-wide min_window_fill, every measure is still
// computed and reported, and none is tested: each finding says "window filling".
//
// Cost: O(C·B) for C classes and B bins per class histogram, plus O(P log P) for the P
// pairs present in the window or the baseline; bounded by the drift benchmark (≤ 50 ms for
// C = 1000 on one core, docs/BENCHMARKS.md). With J parts, each test also reads its J rows:
// O(J·C·B) in all, plus up to 48 incomplete-beta evaluations per rate test whose p-value
// with phi = 1 is below 1/4.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/dispersion.h"
#include "core/drift_report.h"
#include "core/sliding_window.h"
#include "core/stats.h"

namespace predwatch::core {

DriftReport evaluate_drift(std::string_view stream, std::string_view window_name,
                           const Stats& window, std::span<const std::string> window_names,
                           const BaselineStats& baseline, const ThresholdResolver& thresholds,
                           int64_t now_ms, std::span<const PackedPart* const> parts = {},
                           const DispersionOptions& dispersion = {}, double window_fill = 1.0);

// The same with a window's totals() and parts().
DriftReport evaluate_drift(std::string_view stream, std::string_view window_name,
                           const Window& window, std::span<const std::string> window_names,
                           const BaselineStats& baseline, const ThresholdResolver& thresholds,
                           int64_t now_ms, const DispersionOptions& dispersion = {},
                           double window_fill = 1.0);

}  // namespace predwatch::core
