#include "daemon/api/monitor_commands.h"

#include "daemon/api/api_convert.h"
#include "daemon/api/monitor_queries.h"
#include "daemon/baseline/baseline_file.h"

namespace predwatch::daemon {

using grpc::Status;
using grpc::StatusCode;

Status command_set_baseline(MonitorEngine& engine, const v1::SetBaselineRequest& req,
                            v1::SetBaselineResponse* resp) {
  if (req.stream().empty()) return Status(StatusCode::INVALID_ARGUMENT, "stream is required");
  if (!req.has_baseline()) return Status(StatusCode::INVALID_ARGUMENT, "baseline is required");
  if (req.baseline().stats().frames() == 0 && req.baseline().stats().tables().frames() == 0) {
    return Status(StatusCode::FAILED_PRECONDITION, "baseline: it holds no frames");
  }
  std::string error;
  std::optional<LoadedBaseline> loaded = baseline_from_proto(req.baseline(), error);
  if (!loaded) return Status(StatusCode::INVALID_ARGUMENT, "baseline: " + error);
  if (loaded->stats.stats.frames() == 0) {
    return Status(StatusCode::FAILED_PRECONDITION, "baseline: it holds no frames");
  }
  Status st;
  const bool existed = engine.with_stream(req.stream(), [&](const StreamView& v) {
    if (!(loaded->stats.stats.layout() == v.monitor.options().layout)) {
      st = Status(StatusCode::FAILED_PRECONDITION,
                  "baseline: its histogram layout (heatmap grid, bins) differs from stream '" +
                      req.stream() + "'s; rebuild it with the daemon's statistics settings");
    }
  });
  if (!st.ok()) return st;
  const uint32_t classes = loaded->stats.stats.num_classes();
  const uint64_t frames = uint64_t(loaded->stats.stats.frames());
  error = engine.set_baseline(req.stream(), std::move(*loaded));
  if (!error.empty()) {
    return Status(existed ? StatusCode::FAILED_PRECONDITION : StatusCode::NOT_FOUND, error);
  }
  resp->set_classes(classes);
  resp->set_frames(frames);
  return Status::OK;
}

Status command_snapshot_baseline(MonitorEngine& engine, bool ready,
                                 const v1::SnapshotBaselineRequest& req,
                                 v1::SnapshotBaselineResponse* resp) {
  if (req.stream().empty()) return Status(StatusCode::INVALID_ARGUMENT, "stream is required");
  if (!ready) return rebuilding();
  Status st;
  const bool found = engine.with_stream(req.stream(), [&](const StreamView& v) {
    const int w = resolve_window(v.monitor, req.window(), st);
    if (w >= 0 && v.monitor.window(size_t(w)).frames_in_window() == 0) {
      st = Status(StatusCode::FAILED_PRECONDITION, "window '" + v.monitor.spec(size_t(w)).name +
                                                       "' of stream '" + req.stream() +
                                                       "' is empty");
    }
  });
  if (!found) return unknown_stream(req.stream());
  if (!st.ok()) return st;
  std::string error;
  auto b = engine.snapshot_baseline(req.stream(), req.window(), req.install(), error);
  if (!b) return Status(StatusCode::FAILED_PRECONDITION, error);
  *resp->mutable_baseline() = std::move(*b);
  return Status::OK;
}

Status command_revert_baseline(MonitorEngine& engine, const v1::RevertBaselineRequest& req,
                               v1::RevertBaselineResponse* resp) {
  if (req.stream().empty()) return Status(StatusCode::INVALID_ARGUMENT, "stream is required");
  if (!engine.with_stream(req.stream(), [](const StreamView&) {})) {
    return unknown_stream(req.stream());
  }
  if (std::string error = engine.revert_baseline(req.stream()); !error.empty())
    return Status(StatusCode::FAILED_PRECONDITION, error);
  engine.with_stream(req.stream(),
                     [&](const StreamView& v) { resp->set_configured(v.baseline != nullptr); });
  return Status::OK;
}

Status query_reference(const MonitorEngine& engine, const std::string& stream,
                       v1::ReferenceInfo* resp) {
  if (stream.empty()) return Status(StatusCode::INVALID_ARGUMENT, "stream is required");
  if (!engine.learns_references()) {
    return Status(StatusCode::FAILED_PRECONDITION,
                  "predwatchd learns no references (reference.enabled: false)");
  }
  const auto info = engine.reference_info(stream);
  if (!info) return unknown_stream(stream);
  reference_to_proto(stream, *info, resp);
  return Status::OK;
}

Status command_pin_reference(MonitorEngine& engine, bool ready, const v1::PinReferenceRequest& req,
                             v1::ReferenceInfo* resp) {
  if (req.stream().empty()) return Status(StatusCode::INVALID_ARGUMENT, "stream is required");
  if (!ready) return rebuilding();
  Status st = query_reference(engine, req.stream(), resp);
  if (!st.ok()) return st;
  engine.with_stream(req.stream(), [&](const StreamView& v) {
    const int w = resolve_window(v.monitor, req.window(), st);
    if (w >= 0 && v.monitor.window(size_t(w)).frames_in_window() == 0) {
      st = Status(StatusCode::FAILED_PRECONDITION, "window '" + v.monitor.spec(size_t(w)).name +
                                                       "' of stream '" + req.stream() +
                                                       "' is empty");
    }
  });
  if (!st.ok()) return st;
  if (std::string error = engine.pin_reference(req.stream(), req.window()); !error.empty())
    return Status(StatusCode::FAILED_PRECONDITION, error);
  resp->Clear();
  return query_reference(engine, req.stream(), resp);
}

Status command_reset_reference(MonitorEngine& engine, const v1::ResetReferenceRequest& req,
                               v1::ReferenceInfo* resp) {
  Status st = query_reference(engine, req.stream(), resp);
  if (!st.ok()) return st;
  if (std::string error = engine.reset_reference(req.stream()); !error.empty())
    return Status(StatusCode::INTERNAL, error);
  resp->Clear();
  return query_reference(engine, req.stream(), resp);
}

}  // namespace predwatch::daemon
