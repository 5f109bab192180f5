#include "core/scenario.h"

#include <algorithm>

namespace predwatch::core {
namespace {

bool only_class(const PoolFrame& f, const std::string& a) {
  if (f.detections.empty()) return false;
  for (const auto& d : f.detections)
    if (d.class_name != a) return false;
  return true;
}

float clamp01(float v) { return std::min(1.0f, std::max(0.0f, v)); }

}  // namespace

ScenarioGenerator::ScenarioGenerator(std::span<const PoolFrame> pool, std::string stream,
                                     uint64_t seed)
    : pool_(pool), stream_(std::move(stream)), rng_(seed) {}

std::string ScenarioGenerator::add_episode(const Episode& episode) {
  Prepared p{episode, {}, {}};
  if (episode.kind == Episode::Kind::kInjectPair) {
    for (uint32_t i = 0; i < pool_.size(); ++i) {
      if (only_class(pool_[i], episode.a)) p.only_a_frames.push_back(i);
      for (const auto& d : pool_[i].detections)
        if (d.class_name == episode.b) p.b_boxes.push_back(d);
    }
    if (p.only_a_frames.empty()) return "no frame in the pool has only class '" + episode.a + "'";
    if (p.b_boxes.empty()) return "no box of class '" + episode.b + "' in the pool";
  }
  episodes_.push_back(episode);
  prepared_.push_back(std::move(p));
  return {};
}

// A detector's scores cluster near the top: 1 - Beta(1, 3)-like, via the square of a
// uniform, mapped into [0.25, 1).
float ScenarioGenerator::synthetic_confidence() {
  const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  return float(1.0 - 0.75 * u * u);
}

void ScenarioGenerator::apply(const Prepared& p) {
  const Episode& e = p.episode;
  switch (e.kind) {
    case Episode::Kind::kInjectPair:
      break;  // handled when the frame is drawn
    case Episode::Kind::kCollapseCount: {
      std::vector<PoolDetection> of_a;
      for (const auto& d : working_)
        if (d.class_name == e.a) of_a.push_back(d);
      if (of_a.empty()) break;
      std::erase_if(working_, [&](const PoolDetection& d) { return d.class_name == e.a; });
      std::uniform_real_distribution<float> jitter(-0.01f, 0.01f);
      for (uint32_t i = 0; i < e.count; ++i) {
        PoolDetection d = i < of_a.size() ? of_a[i] : of_a[0];
        if (i >= of_a.size()) {
          const float dx = jitter(rng_), dy = jitter(rng_);
          d.box = {clamp01(d.box.x_min + dx), clamp01(d.box.y_min + dy), clamp01(d.box.x_max + dx),
                   clamp01(d.box.y_max + dy)};
        }
        working_.push_back(d);
      }
      break;
    }
    case Episode::Kind::kShiftRegion:
      for (auto& d : working_) {
        if (d.class_name != e.a) continue;
        const float w = d.box.width(), h = d.box.height();
        const float cx = e.region.x_min + d.box.center_x() * e.region.width();
        const float cy = e.region.y_min + d.box.center_y() * e.region.height();
        // Keep the size; slide the box back inside the image where the new centre
        // would push it out.
        const float x0 = std::clamp(cx - w / 2, 0.0f, 1.0f - w);
        const float y0 = std::clamp(cy - h / 2, 0.0f, 1.0f - h);
        d.box = {x0, y0, x0 + w, y0 + h};
      }
      break;
    case Episode::Kind::kVanish:
      std::erase_if(working_, [&](const PoolDetection& d) { return d.class_name == e.a; });
      break;
    case Episode::Kind::kConfidenceDrop:
      for (auto& d : working_)
        if (d.class_name == e.a) d.confidence = clamp01(d.confidence * e.factor);
      break;
  }
}

const Event& ScenarioGenerator::next(int64_t time_ms) {
  std::uniform_int_distribution<size_t> pick(0, pool_.size() - 1);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  const PoolFrame* frame = &pool_[pick(rng_)];
  const PoolDetection* injected = nullptr;
  for (const Prepared& p : prepared_) {
    if (p.episode.kind != Episode::Kind::kInjectPair || !p.episode.active_at(time_ms)) continue;
    if (coin(rng_) < p.episode.rate) {
      std::uniform_int_distribution<size_t> pa(0, p.only_a_frames.size() - 1);
      std::uniform_int_distribution<size_t> pb(0, p.b_boxes.size() - 1);
      frame = &pool_[p.only_a_frames[pa(rng_)]];
      injected = &p.b_boxes[pb(rng_)];
      break;
    }
  }
  working_.assign(frame->detections.begin(), frame->detections.end());
  if (injected) working_.push_back(*injected);
  for (auto& d : working_)
    if (d.confidence < 0) d.confidence = synthetic_confidence();
  for (const Prepared& p : prepared_)
    if (p.episode.active_at(time_ms)) apply(p);

  frame_id_ = frame->frame_id + "#" + std::to_string(sequence_++);
  event_.clear();
  event_.frame_id = frame_id_;
  event_.stream = stream_;
  event_.model_name = "scenario";
  event_.time_ms = time_ms;
  event_.width = frame->width;
  event_.height = frame->height;
  for (const auto& d : working_) {
    NamedDetection nd;
    nd.class_name = d.class_name;
    nd.confidence = d.confidence;
    nd.box = d.box;
    event_.detections.push_back(nd);
  }
  return event_;
}

}  // namespace predwatch::core
