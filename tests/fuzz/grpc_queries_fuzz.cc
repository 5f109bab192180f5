// Fuzzes the request validation of the predwatch.v1.MonitorService read RPCs: the query functions
// of daemon/api/monitor_queries.h that the gRPC service (and the web view's JSON API) call
// with the client's request, over a small in-memory MonitorEngine.
//
// The engine (built once): tests/fuzz/fuzz_engine.h (streams "ref" and "cam", windows "1m"
// and "c5", "cam" with a baseline and one evaluation behind it).
// Input: byte 0 picks the call (bits 0-2: ListStreams, GetWindowStats, GetDrift, ListAlerts,
// GetExemplars, GetBaseline) and `ready` (bit 3 clear: windows rebuilt); the rest is the
// binary request message (inputs that do not parse are skipped).
// Checks:
//   - no crash; an error has a code out of INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION,
//     UNAVAILABLE and a message; calls that read windows never succeed while not ready;
//   - GetWindowStats: the response names the stream; dense_cooccurrence has C x C cells
//     (C = class_names, never above kMaxDenseCooccurrenceClasses) exactly when asked for; pairs <=
//     top_pairs (when set) and
//     <= C (C - 1) / 2; per-class heatmaps only for the requested classes (when listed), of
//     grid x grid cells; the exact tables only when asked for;
//   - GetExemplars: at most `limit` (when set) and at most ExemplarConfig::per_key exemplars;
//   - GetDrift: scores only of the requested window (when set);
//   - ListAlerts: alerts only of the requested stream (when set);
//   - every response stays under 1 MB with these 16 classes (the server's cap is 16 MB) and
//     parses back from its wire form (fuzz::check_answer).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "daemon/api/monitor_queries.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_engine.h"

namespace {

using namespace predwatch;
using grpc::StatusCode;

constexpr uint32_t kPerKey = 5;

daemon::MonitorEngine& engine() {
  static daemon::MonitorEngine* e = fuzz::make_query_engine(kPerKey).release();
  return *e;
}

bool has(const google::protobuf::RepeatedPtrField<std::string>& list, const std::string& s) {
  for (const auto& x : list)
    if (x == s) return true;
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int call = data[0] & 7;
  const bool ready = (data[0] & 8) == 0;
  const uint8_t* body = data + 1;
  const int len = static_cast<int>(size - 1);
  const daemon::MonitorEngine& e = engine();
  switch (call) {
    case 0: {
      v1::ListStreamsRequest req;
      if (!req.ParseFromArray(body, len)) return 0;
      v1::ListStreamsResponse resp;
      const grpc::Status s = daemon::query_list_streams(e, req, &resp);
      FUZZ_CHECK(s.ok(), "ListStreams failed: %s", s.error_message().c_str());
      FUZZ_CHECK(resp.streams_size() == 2, "%d streams", resp.streams_size());
      fuzz::check_answer(resp, "ListStreams");
      break;
    }
    case 1: {
      v1::GetWindowStatsRequest req;
      if (!req.ParseFromArray(body, len)) return 0;
      v1::GetWindowStatsResponse resp;
      const grpc::Status s = daemon::query_window_stats(e, ready, req, &resp);
      fuzz::check_rpc_error(s, "GetWindowStats");
      if (!s.ok()) break;
      FUZZ_CHECK(ready, "GetWindowStats answered while not ready");
      FUZZ_CHECK(resp.stream() == req.stream(), "stream %s answered for %s", resp.stream().c_str(),
                 req.stream().c_str());
      const v1::Stats& st = resp.stats();
      const int64_t C = st.class_names_size();
      FUZZ_CHECK(C <= 16, "%lld classes", static_cast<long long>(C));
      FUZZ_CHECK(!req.dense_cooccurrence() || C <= daemon::kMaxDenseCooccurrenceClasses,
                 "dense matrix above the class cap");
      FUZZ_CHECK(resp.dense_cooccurrence_size() == (req.dense_cooccurrence() ? C * C : 0),
                 "dense_cooccurrence has %d cells for %lld classes (asked: %d)",
                 resp.dense_cooccurrence_size(), static_cast<long long>(C),
                 req.dense_cooccurrence());
      FUZZ_CHECK(st.pairs_size() <= C * (C - 1) / 2, "%d pairs", st.pairs_size());
      if (req.top_pairs() > 0) {
        FUZZ_CHECK(uint32_t(st.pairs_size()) <= req.top_pairs(), "%d pairs, top_pairs %u",
                   st.pairs_size(), req.top_pairs());
      }
      bool tables_asked = false;
      for (int sec : req.sections()) tables_asked |= sec == v1::STATS_SECTION_TABLES;
      FUZZ_CHECK(!st.has_tables() || tables_asked, "tables not asked for");
      for (const auto& cs : st.classes()) {
        if (cs.heatmap_size() == 0) continue;
        FUZZ_CHECK(req.classes().empty() || has(req.classes(), cs.name()),
                   "heatmap of class %s, not requested", cs.name().c_str());
        const int g = int(st.layout().heatmap_grid());
        FUZZ_CHECK(cs.heatmap_size() == g * g, "heatmap of %d cells, grid %d", cs.heatmap_size(),
                   g);
      }
      fuzz::check_answer(resp, "GetWindowStats");
      break;
    }
    case 2: {
      v1::GetDriftRequest req;
      if (!req.ParseFromArray(body, len)) return 0;
      v1::GetDriftResponse resp;
      const grpc::Status s = daemon::query_drift(e, ready, req, &resp);
      fuzz::check_rpc_error(s, "GetDrift");
      if (!s.ok()) break;
      FUZZ_CHECK(ready, "GetDrift answered while not ready");
      FUZZ_CHECK(resp.stream() == req.stream(), "stream differs");
      for (const auto& sc : resp.scores()) {
        FUZZ_CHECK(req.window().empty() || sc.window() == req.window(), "score of window %s",
                   sc.window().c_str());
      }
      fuzz::check_answer(resp, "GetDrift");
      break;
    }
    case 3: {
      v1::ListAlertsRequest req;
      if (!req.ParseFromArray(body, len)) return 0;
      v1::ListAlertsResponse resp;
      const grpc::Status s = daemon::query_alerts(e, req, &resp);
      fuzz::check_rpc_error(s, "ListAlerts");
      if (!s.ok()) break;
      for (const auto& a : resp.alerts()) {
        FUZZ_CHECK(req.stream().empty() || a.stream() == req.stream(), "alert of stream %s",
                   a.stream().c_str());
      }
      fuzz::check_answer(resp, "ListAlerts");
      break;
    }
    case 4: {
      v1::GetExemplarsRequest req;
      if (!req.ParseFromArray(body, len)) return 0;
      v1::GetExemplarsResponse resp;
      const grpc::Status s = daemon::query_exemplars(e, ready, req, &resp);
      fuzz::check_rpc_error(s, "GetExemplars");
      if (!s.ok()) break;
      FUZZ_CHECK(ready, "GetExemplars answered while not ready");
      FUZZ_CHECK(req.limit() == 0 || uint32_t(resp.exemplars_size()) <= req.limit(),
                 "%d exemplars, limit %u", resp.exemplars_size(), req.limit());
      FUZZ_CHECK(uint32_t(resp.exemplars_size()) <= kPerKey, "%d exemplars, K = %u",
                 resp.exemplars_size(), kPerKey);
      for (const auto& x : resp.exemplars()) {
        FUZZ_CHECK(!x.frame_id().empty(), "exemplar without frame id");
      }
      fuzz::check_answer(resp, "GetExemplars");
      break;
    }
    case 5: {
      v1::GetBaselineRequest req;
      if (!req.ParseFromArray(body, len)) return 0;
      v1::GetBaselineResponse resp;
      const grpc::Status s = daemon::query_baseline(e, req, &resp);
      fuzz::check_rpc_error(s, "GetBaseline");
      if (!s.ok()) break;
      FUZZ_CHECK(req.stream() == "cam", "baseline of stream %s", req.stream().c_str());
      FUZZ_CHECK(resp.baseline().stats().frames() > 0, "empty baseline");
      fuzz::check_answer(resp, "GetBaseline");
      break;
    }
    default:
      break;
  }
  return 0;
}
