// ScenarioGenerator: a synthetic prediction stream resampled from real frames, with
// scheduled drift episodes. It feeds the demo and the drift engine's detection and
// calibration tests, so both see the same, reproducible traffic.
//
// Outside every episode, frame i is a uniform draw (with replacement) from the pool, so
// the stream follows the pool's own distribution: a baseline built from the same pool
// should raise nothing. Detections without a confidence (ground truth) get a synthetic one
// drawn from a fixed distribution, the same inside and outside episodes unless an episode
// changes it. Deterministic: the same pool, seed, episodes and times give the same events.
//
// Episodes change the frames whose time lies in [start_ms, end_ms):
//   kInjectPair     with probability `rate`, the frame is replaced by a pool frame on which
//                   `a` is the only class, plus one box of `b` copied from a pool frame
//                   with `b` (so only the pair a+b is new; sizes and positions stay real).
//   kCollapseCount  every frame containing `a` gets exactly `count` boxes of `a`
//                   (duplicates of its first box with a small jitter, or truncated).
//   kShiftRegion    the boxes of `a` are moved (size kept) so their centres fall inside
//                   `region`, at the same relative position; a box that would stick out
//                   of the image slides back inside it.
//   kVanish         every box of `a` is dropped.
//   kConfidenceDrop the confidence of every box of `a` is multiplied by `factor`.
//
// Not thread-safe. Events returned by next() point into the generator and stay valid until
// the next call.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "core/event.h"

namespace predwatch::core {

struct PoolDetection {
  std::string class_name;
  float confidence = kNoConfidence;
  Box box;  // normalised
};

struct PoolFrame {
  std::string frame_id;
  uint32_t width = 0;
  uint32_t height = 0;
  std::vector<PoolDetection> detections;
};

struct Episode {
  enum class Kind { kInjectPair, kCollapseCount, kShiftRegion, kVanish, kConfidenceDrop };
  Kind kind = Kind::kVanish;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  std::string a{};      // the class the episode is about
  std::string b{};      // kInjectPair: the class added next to `a`
  double rate = 0.01;   // kInjectPair: share of frames replaced
  uint32_t count = 4;   // kCollapseCount
  Box region{};         // kShiftRegion: where the centres go (normalised)
  float factor = 0.5f;  // kConfidenceDrop
  std::string label{};  // a name for people ("novel pair giraffe+toilet")

  bool active_at(int64_t t) const { return t >= start_ms && t < end_ms; }
};

class ScenarioGenerator {
 public:
  // REQUIRES: pool is non-empty and outlives the generator.
  ScenarioGenerator(std::span<const PoolFrame> pool, std::string stream, uint64_t seed);

  // Adds an episode. Returns an error message when the pool cannot support it (no frame
  // where `a` is the only class, or no box of `b`), else empty.
  std::string add_episode(const Episode& episode);
  const std::vector<Episode>& episodes() const { return episodes_; }

  // Produces the next frame at event time `time_ms`.
  const Event& next(int64_t time_ms);

  uint64_t frames_generated() const { return sequence_; }

 private:
  struct Prepared {
    Episode episode;
    std::vector<uint32_t> only_a_frames;  // kInjectPair
    std::vector<PoolDetection> b_boxes;   // kInjectPair
  };

  float synthetic_confidence();
  void apply(const Prepared& p);

  std::span<const PoolFrame> pool_;
  std::string stream_;
  std::mt19937_64 rng_;
  std::vector<Episode> episodes_;
  std::vector<Prepared> prepared_;
  uint64_t sequence_ = 0;

  // The frame being built: owned strings, then exposed through event_'s views.
  std::string frame_id_;
  std::vector<PoolDetection> working_;
  Event event_;
};

}  // namespace predwatch::core
