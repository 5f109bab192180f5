// The small in-memory MonitorEngine the gRPC fuzz targets query and command
// (grpc_queries_fuzz.cc, grpc_commands_fuzz.cc): windows "1m" (time, 10 s panes) and "c5"
// (count, 5 frames), at most 16 classes, `per_key` exemplars per key in a ring of 128 recent
// frames, alerts firing at the first drifting evaluation, references learned from 30 frames;
// only streams "ref" and "cam" are admitted, each fed 40 frames (classes a, b, c, d) from
// kFuzzEngineStart, and "cam" has a baseline snapshot of "ref" and one evaluation behind it.
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/support/status.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "daemon/baseline/baseline_file.h"
#include "daemon/engine/monitor_engine.h"
#include "tests/fuzz/fuzz_check.h"

namespace predwatch::fuzz {

inline constexpr int64_t kFuzzEngineStart = 1'700'000'000'000;
inline constexpr int64_t kFuzzEngineFrames = 40;  // per stream, 1 s apart

inline std::unique_ptr<daemon::MonitorEngine> make_query_engine(uint32_t per_key) {
  daemon::EngineOptions o;
  core::WindowSpec t;
  t.name = "1m";
  t.type = core::WindowSpec::Type::kTime;
  t.length_ms = 60'000;
  t.pane_ms = 10'000;
  core::WindowSpec c;
  c.name = "c5";
  c.type = core::WindowSpec::Type::kCount;
  c.frames = 5;
  o.stream.windows = {t, c};
  o.stream.max_classes = 16;
  o.stream.exemplars.per_key = per_key;
  // 128 recent frames hold all 80 of the fed ones; the default ring (65,536 frames, some 6 MB
  // per stream) cost most of a fresh engine's time under the sanitizers.
  o.stream.exemplars.recent_frames = 128;
  o.alerting.for_evaluations = 1;
  o.reference.learn = {.frames = 30, .duration_ms = 0, .min_frames = 30};
  o.stream_config = [](std::string_view s) -> std::optional<daemon::StreamConfig> {
    if (s != "cam" && s != "ref") return std::nullopt;
    return daemon::StreamConfig{};
  };
  auto engine = std::make_unique<daemon::MonitorEngine>(std::move(o));
  static const char* kClasses[] = {"a", "b", "c", "d"};
  for (const char* stream : {"ref", "cam"}) {
    for (int i = 0; i < kFuzzEngineFrames; ++i) {
      const std::string frame = std::string(stream) + std::to_string(i);
      const std::string uri = "s3://x/" + frame + ".jpg";
      core::Event ev;
      ev.stream = stream;
      ev.frame_id = frame;
      ev.image_uri = uri;
      ev.time_ms = kFuzzEngineStart + i * 1000;
      for (int k = 0; k < 1 + i % 3; ++k) {
        core::NamedDetection d;
        d.class_name = kClasses[(i + k * (stream[0] == 'c' ? 3 : 1)) % 4];
        d.confidence = 0.5f + 0.01f * float(k);
        const float x = 0.1f * float((i + k) % 8);
        d.box = {x, x / 2, x + 0.15f, x / 2 + 0.2f};
        ev.detections.push_back(d);
      }
      engine->apply(ev);
    }
  }
  std::string error;
  auto b = engine->snapshot_baseline("ref", "c5", false, error);
  if (!b) std::abort();
  auto loaded = daemon::baseline_from_proto(*b, error);
  if (!loaded || !engine->set_baseline("cam", std::move(*loaded)).empty()) std::abort();
  engine->evaluate(kFuzzEngineStart + kFuzzEngineFrames * 1000);
  return engine;
}

// An RPC error must be one a client is told about (INVALID_ARGUMENT, NOT_FOUND,
// FAILED_PRECONDITION, UNAVAILABLE) and carry a message; OK passes.
inline void check_rpc_error(const grpc::Status& s, const char* call) {
  if (s.ok()) return;
  using grpc::StatusCode;
  const StatusCode c = s.error_code();
  FUZZ_CHECK(c == StatusCode::INVALID_ARGUMENT || c == StatusCode::NOT_FOUND ||
                 c == StatusCode::FAILED_PRECONDITION || c == StatusCode::UNAVAILABLE,
             "%s: unexpected code %d (%s)", call, static_cast<int>(c), s.error_message().c_str());
  FUZZ_CHECK(!s.error_message().empty(), "%s: error %d without a message", call,
             static_cast<int>(c));
}

// The answer a client receives: serialized under `max_bytes`, and it parses back (a proto3
// string that is not UTF-8 serializes with only a logged error, then fails the client's parse).
inline void check_answer(const google::protobuf::Message& m, const char* call,
                         size_t max_bytes = size_t{1} << 20) {
  const std::string wire = m.SerializeAsString();
  FUZZ_CHECK(wire.size() < max_bytes, "%s: response of %zu bytes", call, wire.size());
  std::unique_ptr<google::protobuf::Message> back(m.New());
  FUZZ_CHECK(back->ParseFromString(wire), "%s: the response does not parse back", call);
}

}  // namespace predwatch::fuzz
