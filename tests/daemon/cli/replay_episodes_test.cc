// One drift episode, one or two pages: `predwatch replay` (in process) with the DEFAULT
// configuration (windows 5m, 1h, last10k; evaluation every 10 s; 3 evaluations to fire) on
// each of the demo's injected episodes and on a class the baseline lacks. Every episode must
// raise its expected alert, nothing may fire before it starts, and the whole episode may raise
// at most 2 firing alerts, whatever number of windows agree (docs/DRIFT.md "Alerts").
#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/class_registry.h"
#include "core/scenario.h"
#include "core/stats.h"
#include "daemon/baseline/baseline_file.h"
#include "daemon/cli/replay.h"
#include "daemon/demo/demo_scenario.h"
#include "tests/support/coco_scenario.h"

namespace predwatch::daemon {
namespace {

namespace fs = std::filesystem;
const fs::path kData = PREDWATCH_TEST_DATA;

constexpr int64_t kStart = 1795780800000;  // 2026-11-27T12:00:00Z
constexpr int64_t kMinute = 60'000;
constexpr int64_t kEpisodeStart = kStart + 15 * kMinute;  // last10k is full by then
constexpr int64_t kEpisodeEnd = kStart + 25 * kMinute;
constexpr int64_t kEnd = kStart + 30 * kMinute;
constexpr const char* kNewClass = "umbrella";

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("predwatch_episodes_test_" + std::to_string(::getpid()));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

void save_pool_baseline(const std::vector<core::PoolFrame>& pool, const fs::path& file) {
  core::ClassRegistry registry(1000);
  core::Stats stats;
  core::Frame frame;
  for (const core::PoolFrame& p : pool) {
    frame.clear();
    for (const core::PoolDetection& d : p.detections)
      frame.detections.push_back({registry.resolve(d.class_name), d.confidence, d.box, -1});
    stats.add(frame);
  }
  ASSERT_EQ(save_baseline(file, make_baseline(stats, registry.names(),
                                              core::BaselineKind::kTrainingAnnotations)),
            "");
}

bool has_class(const core::PoolFrame& f, std::string_view name) {
  for (const core::PoolDetection& d : f.detections)
    if (d.class_name == name) return true;
  return false;
}

struct Firing {
  std::string fingerprint, kind, subject, window;
  int64_t time_ms = 0;
  size_t windows_over = 0;  // from the alert's per-window details (0 when absent)
  std::vector<std::string> related;
};

std::vector<Firing> firing_transitions(const std::string& json_lines) {
  simdjson::dom::parser parser;
  std::istringstream lines(json_lines);
  std::string line;
  std::vector<Firing> out;
  while (std::getline(lines, line)) {
    simdjson::dom::element doc;
    EXPECT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS) << line;
    if (std::string_view(doc["state"].get_string().value()) != "firing") continue;
    Firing f;
    f.fingerprint = std::string(doc["fingerprint"].get_string().value());
    f.kind = std::string(doc["kind"].get_string().value());
    f.window = std::string(doc["window"].get_string().value());
    for (auto s : doc["subject"].get_array()) {
      if (!f.subject.empty()) f.subject += "|";
      f.subject += std::string(s.get_string().value());
    }
    simdjson::dom::array windows;
    if (doc["windows"].get_array().get(windows) == simdjson::SUCCESS) {
      for (auto w : windows) f.windows_over += w["over"].get_bool().value();
    }
    simdjson::dom::array related;
    if (doc["related_subjects"].get_array().get(related) == simdjson::SUCCESS) {
      for (auto s : related) f.related.push_back(std::string(s.get_string().value()));
    }
    f.time_ms = doc["time_ms"].get_int64().value();
    out.push_back(std::move(f));
  }
  return out;
}

class ReplayEpisodesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    pool_ = new std::vector<core::PoolFrame>;
    testing::LoadCocoPoolAndBaseline(kData / "coco_val2017/instances_val2017_boxes.json",
                                     dir_->path / "coco.baseline", *pool_);
    if (::testing::Test::HasFatalFailure()) return;
    // The appeared class: a baseline (and a quiet stream) without any frame showing it, and
    // the real frames that show it, with their real partner classes, for the episode.
    without_ = new std::vector<core::PoolFrame>;
    with_ = new std::vector<core::PoolFrame>;
    for (const core::PoolFrame& f : *pool_)
      (has_class(f, kNewClass) ? with_ : without_)->push_back(f);
    save_pool_baseline(*without_, dir_->path / "without.baseline");
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete pool_;
    delete without_;
    delete with_;
  }

  // Replays 30 minutes of one stream at 10 fps (an episode in minutes 15-25) against
  // `baseline` with the default configuration; returns the firing transitions.
  static std::vector<Firing> replay(const std::string& name, const fs::path& baseline,
                                    const std::function<core::Event(int64_t)>& next) {
    const fs::path events = dir_->path / (name + ".jsonl");
    {
      std::ofstream out(events);
      for (int64_t t = kStart; t < kEnd; t += 100) out << testing::EventJson(next(t)) << '\n';
    }
    ReplayOptions options;
    options.events = events;
    options.baseline = baseline;
    options.json = true;
    std::ostringstream out, err;
    EXPECT_EQ(run_replay(options, out, err), 0) << err.str();
    return firing_transitions(out.str());
  }

  // The number of distinct firing alerts, after checking that the expected one fired during
  // the episode, that nothing fired before it and that no alert fired twice (a page each).
  static size_t check(const std::string& name, const std::vector<Firing>& fired,
                      const std::string& kind, const std::string& subject) {
    std::set<std::string> alerts;
    bool expected = false;
    std::cout << name << ":\n";
    for (const Firing& f : fired) {
      EXPECT_GE(f.time_ms, kEpisodeStart) << name << ": " << f.kind << " " << f.subject;
      if (f.kind == kind && f.subject == subject && f.time_ms < kEpisodeEnd) expected = true;
      alerts.insert(f.fingerprint);
      std::cout << "  firing at +" << (f.time_ms - kEpisodeStart) / 1000 << " s: " << f.kind << " ["
                << f.subject << "] deciding window " << f.window << ", " << f.windows_over
                << " window(s) over";
      for (const std::string& r : f.related)
        std::cout << (&r == &f.related[0] ? ", with " : " ") << r;
      std::cout << "\n";
    }
    std::cout << "  " << alerts.size() << " firing alert(s), " << fired.size()
              << " firing transition(s)\n";
    EXPECT_EQ(fired.size(), alerts.size()) << name << ": an alert fired again";
    EXPECT_TRUE(expected) << name << ": no firing " << kind << " [" << subject << "]";
    return alerts.size();
  }

  static TempDir* dir_;
  static std::vector<core::PoolFrame>* pool_;
  static std::vector<core::PoolFrame>* without_;
  static std::vector<core::PoolFrame>* with_;
};
TempDir* ReplayEpisodesTest::dir_ = nullptr;
std::vector<core::PoolFrame>* ReplayEpisodesTest::pool_ = nullptr;
std::vector<core::PoolFrame>* ReplayEpisodesTest::without_ = nullptr;
std::vector<core::PoolFrame>* ReplayEpisodesTest::with_ = nullptr;

// The demo's four episodes (daemon/demo/demo_scenario.cc), each on its own replay.
TEST_F(ReplayEpisodesTest, EachDemoEpisodeRaisesAtMostTwoFiringAlerts) {
  DemoTiming timing;
  timing.warmup = std::chrono::milliseconds(kEpisodeStart - kStart);
  timing.episode = std::chrono::milliseconds(kEpisodeEnd - kEpisodeStart);
  const std::vector<ScheduledEpisode> schedule = demo_schedule(kStart, timing);
  ASSERT_EQ(schedule.size(), 4u);
  for (size_t i = 0; i < schedule.size(); ++i) {
    core::Episode e = schedule[i].episode;
    e.start_ms = kEpisodeStart;  // every episode at the same time of its own replay
    e.end_ms = kEpisodeEnd;
    core::ScenarioGenerator g(*pool_, "cam", 1000 + i);
    ASSERT_EQ(g.add_episode(e), "");
    const std::vector<Firing> fired =
        replay("episode" + std::to_string(i), dir_->path / "coco.baseline",
               [&](int64_t t) { return g.next(t); });
    EXPECT_LE(check(e.label, fired, schedule[i].expected_kind, schedule[i].expected_subject), 2u)
        << e.label;
  }
}

// A class the baseline never saw: 2% of the frames become real frames showing umbrellas (with
// the classes around them: persons, handbags, chairs, cars, ...). One class_appeared alert, which
// names the partner classes of its novel pairs; no novel_pair alert of its own.
TEST_F(ReplayEpisodesTest, AppearedClassFoldsItsPairsIntoOneAlert) {
  ASSERT_GT(with_->size(), 20u);
  core::ScenarioGenerator quiet(*without_, "cam", 11), with_class(*with_, "cam", 12);
  std::mt19937_64 rng(13);
  std::bernoulli_distribution inject(0.02);
  const std::vector<Firing> fired =
      replay("appeared", dir_->path / "without.baseline", [&](int64_t t) {
        const bool inj = t >= kEpisodeStart && t < kEpisodeEnd && inject(rng);
        core::Event e = inj ? with_class.next(t) : quiet.next(t);
        e.stream = "cam";
        return e;
      });
  EXPECT_LE(check(std::string("appeared class ") + kNewClass, fired, "class_appeared", kNewClass),
            2u);
  for (const Firing& f : fired) {
    EXPECT_NE(f.kind, "novel_pair") << f.subject;
    EXPECT_EQ(f.subject.find(std::string(kNewClass) + "|"), std::string::npos) << f.subject;
    EXPECT_EQ(f.subject.find(std::string("|") + kNewClass), std::string::npos) << f.subject;
    if (f.kind == "class_appeared" && f.subject == kNewClass) {
      EXPECT_FALSE(f.related.empty()) << "the folded novel pairs' partner classes";
    }
  }
}

}  // namespace
}  // namespace predwatch::daemon
