// Decoding throughput: events/s of JsonEventDecoder and ProtobufEventDecoder for events
// with 5 and 20 detections (pixel boxes, every optional field a detector sends), and of
// MappedJsonDecoder (an event mapping, preset none) on the very same JSON.
//
// Build and run (see docs/BENCHMARKS.md, section "Decoding"):
//   bash scripts/build.sh -DPREDWATCH_BUILD_BENCHMARKS=ON
//   ./build/tests/bench/decode_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>
#include <google/protobuf/util/json_util.h>
#include <simdjson.h>

#include <random>
#include <string>

#include "daemon/ingest/json_event_decoder.h"
#include "daemon/ingest/mapped_json_decoder.h"
#include "daemon/ingest/protobuf_event_decoder.h"
#include "predwatch/v1/event.pb.h"

namespace {

using predwatch::core::Event;

predwatch::v1::PredictionEvent MakeEvent(int detections) {
  static const char* kClasses[] = {"person", "car", "bicycle", "traffic light", "dog"};
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  predwatch::v1::PredictionEvent m;
  m.set_frame_id("s3://bucket/cam7/2026-11-27/000123.jpg");
  m.set_stream("cam7");
  m.mutable_model()->set_name("yolov5s");
  m.mutable_model()->set_version("3");
  m.mutable_timestamp()->set_seconds(1795780800);
  m.mutable_timestamp()->set_nanos(40'000'000);
  m.mutable_image()->set_width(1920);
  m.mutable_image()->set_height(1080);
  for (int i = 0; i < detections; ++i) {
    auto* d = m.add_detections();
    d->set_class_name(kClasses[i % 5]);
    d->set_class_id(i % 5);
    d->set_confidence(0.25f + 0.75f * u(rng));
    float x0 = u(rng) * 1800, y0 = u(rng) * 1000;
    d->mutable_box()->set_x_min(std::round(x0));
    d->mutable_box()->set_y_min(std::round(y0));
    d->mutable_box()->set_x_max(std::round(x0 + 10 + u(rng) * 100));
    d->mutable_box()->set_y_max(std::round(y0 + 10 + u(rng) * 70));
  }
  return m;
}

template <typename Decoder>
void Decode(benchmark::State& state, const std::string& payload) {
  Decoder decoder;
  Event event;
  for (auto _ : state) {
    auto r = decoder.decode(payload, event);
    if (!r.ok()) state.SkipWithError(std::string(r.message).c_str());
    benchmark::DoNotOptimize(event.detections.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(payload.size()));
  state.counters["payload_bytes"] = static_cast<double>(payload.size());
}

std::string MakeJson(int detections) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(MakeEvent(detections), &json, options);
  return json;
}

void BM_DecodeJson(benchmark::State& state) {
  const std::string json = MakeJson(static_cast<int>(state.range(0)));
  Decode<predwatch::daemon::JsonEventDecoder>(state, json);
  // On-Demand runs the kernel chosen at compile time ("fallback" without -march flags).
  state.SetLabel(std::string("simdjson ") + simdjson::builtin_implementation()->name());
}

void BM_DecodeProtobuf(benchmark::State& state) {
  const std::string bytes = MakeEvent(static_cast<int>(state.range(0))).SerializeAsString();
  Decode<predwatch::daemon::ProtobufEventDecoder>(state, bytes);
}

// The same JSON through an event mapping (kafka.mappings[], preset none: PredictionEvent's
// own names), simdjson's DOM parser: the cost of reading fields by path.
void BM_DecodeMappedJson(benchmark::State& state) {
  const std::string json = MakeJson(static_cast<int>(state.range(0)));
  std::string error;
  predwatch::config::EventMappingSettings settings;
  settings.topic = "t";
  auto mapping = predwatch::daemon::resolve_mapping(settings, error);
  if (!mapping) {
    state.SkipWithError(error.c_str());
    return;
  }
  predwatch::daemon::MappedJsonDecoder decoder(std::move(*mapping));
  Event event;
  for (auto _ : state) {
    auto r = decoder.decode(json, event);
    if (!r.ok()) state.SkipWithError(std::string(r.message).c_str());
    benchmark::DoNotOptimize(event.detections.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(json.size()));
  state.counters["payload_bytes"] = static_cast<double>(json.size());
}

BENCHMARK(BM_DecodeJson)->ArgName("objects")->Arg(5)->Arg(20);
BENCHMARK(BM_DecodeMappedJson)->ArgName("objects")->Arg(5)->Arg(20);
BENCHMARK(BM_DecodeProtobuf)->ArgName("objects")->Arg(5)->Arg(20);

}  // namespace

BENCHMARK_MAIN();
