// monitor_queries.h functions called directly (the gRPC tests reach them through a server).
#include "daemon/api/monitor_queries.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace predwatch::daemon {
namespace {

// An engine whose stream "s" saw one frame with `classes` distinct classes.
std::unique_ptr<MonitorEngine> engine_with_classes(size_t classes) {
  EngineOptions o;
  core::WindowSpec c;
  c.name = "c";
  c.type = core::WindowSpec::Type::kCount;
  c.frames = 10;
  o.stream.windows = {c};
  o.stream.max_classes = 5000;
  o.stream_config = [](std::string_view) { return std::optional<StreamConfig>(StreamConfig{}); };
  auto engine = std::make_unique<MonitorEngine>(std::move(o));
  std::vector<std::string> names;
  for (size_t i = 0; i < classes; ++i) names.push_back("k" + std::to_string(i));
  core::Event e;
  e.stream = "s";
  e.frame_id = "f";
  e.time_ms = 1'700'000'000'000;
  for (const std::string& n : names) {
    core::NamedDetection d;
    d.class_name = n;
    d.box = {0.1f, 0.1f, 0.2f, 0.2f};
    e.detections.push_back(d);
  }
  EXPECT_TRUE(engine->apply(e).applied);
  return engine;
}

// The dense matrix is C x C cells: it is refused above kMaxDenseCooccurrenceClasses classes
// instead of allocating C^2 (FUZZING.md, "noticed while writing grpc_queries").
TEST(MonitorQueries, DenseCooccurrenceIsCappedByTheClassCount) {
  v1::GetWindowStatsRequest req;
  req.set_stream("s");
  req.set_dense_cooccurrence(true);
  req.add_sections(v1::STATS_SECTION_CLASS_BALANCE);
  {
    auto engine = engine_with_classes(kMaxDenseCooccurrenceClasses);
    v1::GetWindowStatsResponse resp;
    const grpc::Status s = query_window_stats(*engine, true, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.dense_cooccurrence_size(),
              int(kMaxDenseCooccurrenceClasses * kMaxDenseCooccurrenceClasses));
    EXPECT_EQ(resp.dense_cooccurrence(0), 1u);
  }
  auto engine = engine_with_classes(kMaxDenseCooccurrenceClasses + 1);
  v1::GetWindowStatsResponse resp;
  const grpc::Status s = query_window_stats(*engine, true, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("1025 classes"), std::string::npos) << s.error_message();
  EXPECT_EQ(resp.dense_cooccurrence_size(), 0);
  // Without the dense matrix the same stream answers.
  req.set_dense_cooccurrence(false);
  EXPECT_TRUE(query_window_stats(*engine, true, req, &resp).ok());
}

}  // namespace
}  // namespace predwatch::daemon
