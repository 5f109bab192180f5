// Fuzzes the write RPCs of predwatch.v1.MonitorService and what they leave behind: the command
// functions of daemon/api/monitor_commands.h (SetBaseline, SnapshotBaseline,
// RevertBaseline, GetReference, PinReference, ResetReference), each on a fresh engine
// (tests/fuzz/fuzz_engine.h: streams "ref" and "cam"), followed by an evaluation and a read.
//
// Input (parsed before the engine is built; inputs that are no request cost nothing):
// byte 0 picks the call (bits 0-2) and `ready` (bit 3 clear: windows rebuilt); the
// rest is the binary request message. For SetBaseline with bit 4 set, the request starts as a
// valid baseline of the engine's layout (a snapshot of "ref") and the rest is *merged* into
// it (protobuf merge: scalars replaced, repeated fields appended), so that most inputs are
// baselines that pass validation with odd counts, which the drift evaluation then judges.
// Checks:
//   - no crash or sanitizer report; an error has a code out of INVALID_ARGUMENT, NOT_FOUND,
//     FAILED_PRECONDITION, UNAVAILABLE and a message; SnapshotBaseline and PinReference
//     never succeed while not ready;
//   - only "ref" and "cam" exist afterwards (no call creates a stream);
//   - after a successful SetBaseline, GetBaseline of the stream answers a baseline with the
//     frames and classes SetBaseline reported; after PinReference, the reference is pinned;
//     after ResetReference, learning;
//   - an evaluation after the call, and GetWindowStats and GetDrift of "cam", still answer;
//   - every answer parses back from its wire form (fuzz::check_answer).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "daemon/api/monitor_commands.h"
#include "daemon/api/monitor_queries.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_engine.h"

namespace {

using namespace predwatch;
using grpc::StatusCode;

// The valid baseline SetBaseline inputs with bit 4 merge into: a snapshot of "ref"'s "1m"
// window, the same on every fresh engine, so taken once.
const v1::Baseline& ref_snapshot() {
  static const v1::Baseline snapshot = [] {
    std::string error;
    auto s = fuzz::make_query_engine(5)->snapshot_baseline("ref", "1m", false, error);
    FUZZ_CHECK(s.has_value(), "snapshot: %s", error.c_str());
    return std::move(*s);
  }();
  return snapshot;
}

// Inputs seen and inputs that were a request (and so ran the engine), printed at exit for
// docs/FUZZING.md: libFuzzer counts both kinds as executions.
struct InputCounts {
  uint64_t inputs = 0;
  uint64_t requests = 0;
  ~InputCounts() {
    if (inputs == 0) return;
    std::fprintf(stderr, "grpc_commands: %llu of %llu inputs were requests (engine built)\n",
                 static_cast<unsigned long long>(requests),
                 static_cast<unsigned long long>(inputs));
  }
} counts;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ++counts.inputs;
  if (size < 1) return 0;
  const int call = data[0] & 7;
  const bool ready = (data[0] & 8) == 0;
  const bool merge = (data[0] & 16) != 0;
  const uint8_t* body = data + 1;
  const int len = static_cast<int>(size - 1);
  // Each call parses its request before the fresh engine is built: most random bodies are not
  // messages, and they cost no engine.
  std::unique_ptr<daemon::MonitorEngine> engine;
  const auto built = [&](bool parsed) {
    if (!parsed) return false;
    ++counts.requests;
    engine = fuzz::make_query_engine(5);
    return true;
  };
  switch (call) {
    case 0: {
      v1::SetBaselineRequest req;
      bool parsed;
      if (merge) {
        req.set_stream("cam");
        *req.mutable_baseline() = ref_snapshot();
        parsed = req.MergeFromString(std::string(reinterpret_cast<const char*>(body), len));
      } else {
        parsed = req.ParseFromArray(body, len);
      }
      if (!built(parsed)) return 0;
      v1::SetBaselineResponse resp;
      const grpc::Status s = daemon::command_set_baseline(*engine, req, &resp);
      fuzz::check_rpc_error(s, "SetBaseline");
      if (!s.ok()) break;
      fuzz::check_answer(resp, "SetBaseline");
      v1::GetBaselineRequest get;
      get.set_stream(req.stream());
      v1::GetBaselineResponse got;
      const grpc::Status g = daemon::query_baseline(*engine, get, &got);
      FUZZ_CHECK(g.ok(), "GetBaseline after SetBaseline: %s", g.error_message().c_str());
      FUZZ_CHECK(uint64_t(got.baseline().stats().frames()) == resp.frames(),
                 "GetBaseline: %lld frames, SetBaseline said %llu",
                 static_cast<long long>(got.baseline().stats().frames()),
                 static_cast<unsigned long long>(resp.frames()));
      break;
    }
    case 1: {
      v1::SnapshotBaselineRequest req;
      if (!built(req.ParseFromArray(body, len))) return 0;
      v1::SnapshotBaselineResponse resp;
      const grpc::Status s = daemon::command_snapshot_baseline(*engine, ready, req, &resp);
      fuzz::check_rpc_error(s, "SnapshotBaseline");
      if (!s.ok()) break;
      fuzz::check_answer(resp, "SnapshotBaseline");
      FUZZ_CHECK(ready, "SnapshotBaseline answered while not ready");
      break;
    }
    case 2: {
      v1::RevertBaselineRequest req;
      if (!built(req.ParseFromArray(body, len))) return 0;
      v1::RevertBaselineResponse resp;
      const grpc::Status s = daemon::command_revert_baseline(*engine, req, &resp);
      fuzz::check_rpc_error(s, "RevertBaseline");
      if (s.ok()) fuzz::check_answer(resp, "RevertBaseline");
      break;
    }
    case 3: {
      v1::GetReferenceRequest req;
      if (!built(req.ParseFromArray(body, len))) return 0;
      v1::ReferenceInfo resp;
      const grpc::Status s = daemon::query_reference(*engine, req.stream(), &resp);
      fuzz::check_rpc_error(s, "GetReference");
      if (!s.ok()) break;
      fuzz::check_answer(resp, "GetReference");
      FUZZ_CHECK(resp.stream() == req.stream(), "reference of another stream");
      break;
    }
    case 4: {
      v1::PinReferenceRequest req;
      if (!built(req.ParseFromArray(body, len))) return 0;
      v1::ReferenceInfo resp;
      const grpc::Status s = daemon::command_pin_reference(*engine, ready, req, &resp);
      fuzz::check_rpc_error(s, "PinReference");
      if (!s.ok()) break;
      fuzz::check_answer(resp, "PinReference");
      FUZZ_CHECK(ready, "PinReference answered while not ready");
      FUZZ_CHECK(resp.state() == v1::ReferenceInfo::STATE_PINNED, "pinned reference in state %d",
                 static_cast<int>(resp.state()));
      break;
    }
    case 5: {
      v1::ResetReferenceRequest req;
      if (!built(req.ParseFromArray(body, len))) return 0;
      v1::ReferenceInfo resp;
      const grpc::Status s = daemon::command_reset_reference(*engine, req, &resp);
      fuzz::check_rpc_error(s, "ResetReference");
      if (!s.ok()) break;
      fuzz::check_answer(resp, "ResetReference");
      FUZZ_CHECK(resp.state() == v1::ReferenceInfo::STATE_LEARNING, "reset reference in state %d",
                 static_cast<int>(resp.state()));
      break;
    }
    default:
      return 0;
  }
  daemon::MonitorEngine& e = *engine;
  // What the call left behind is still judged and read.
  e.evaluate(fuzz::kFuzzEngineStart + fuzz::kFuzzEngineFrames * 1000 + 10'000);
  v1::ListStreamsResponse streams;
  FUZZ_CHECK(daemon::query_list_streams(e, {}, &streams).ok(), "ListStreams failed");
  FUZZ_CHECK(streams.streams_size() == 2, "%d streams after the call", streams.streams_size());
  v1::GetWindowStatsRequest stats_req;
  stats_req.set_stream("cam");
  v1::GetWindowStatsResponse stats;
  const grpc::Status st = daemon::query_window_stats(e, true, stats_req, &stats);
  FUZZ_CHECK(st.ok(), "GetWindowStats of cam after the call: %s", st.error_message().c_str());
  fuzz::check_answer(stats, "GetWindowStats");
  v1::GetDriftRequest drift_req;
  drift_req.set_stream("cam");
  v1::GetDriftResponse drift;
  const grpc::Status sd = daemon::query_drift(e, true, drift_req, &drift);
  fuzz::check_rpc_error(sd, "GetDrift");
  if (sd.ok()) fuzz::check_answer(drift, "GetDrift");
  return 0;
}
