// predwatch generate: plays the demo scenario (daemon/demo/demo_scenario.h) into a real
// Kafka topic — COCO val2017 frames with drift episodes, JSON events keyed by stream — for
// trying predwatchd against your own broker.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "config/duration.h"
#include "daemon/cli/command.h"
#include "daemon/demo/demo_producer.h"
#include "daemon/demo/demo_scenario.h"

namespace predwatch::daemon {
namespace {

std::atomic<bool> g_interrupted{false};

struct GenerateArgs {
  std::string brokers = "localhost:9092";
  std::string topic = "predictions";
  std::string stream = "demo-cam";
  double rate = 200;
  double duration_s = 0;
  std::string data;
  uint64_t seed = 1;
  bool no_episodes = false;
  std::string warmup, episode, gap;
  std::vector<std::string> properties;
};

int run_generate(const GenerateArgs& a) {
  DemoTiming timing;
  for (auto [text, target, flag] : {std::tuple{&a.warmup, &timing.warmup, "--warmup"},
                                    std::tuple{&a.episode, &timing.episode, "--episode"},
                                    std::tuple{&a.gap, &timing.gap, "--gap"}}) {
    if (text->empty()) continue;
    auto d = config::parse_duration(*text);
    if (!d || d->count() <= 0) {
      std::fprintf(stderr, "generate: %s: '%s' is not a positive duration\n", flag, text->c_str());
      return 2;
    }
    *target = *d;
  }
  DemoProducerOptions po;
  po.bootstrap_servers = a.brokers;
  po.topic = a.topic;
  po.stream = a.stream;
  po.frames_per_second = a.rate;
  po.seed = a.seed;
  for (const std::string& p : a.properties) {
    const auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "generate: --property %s: expected key=value\n", p.c_str());
      return 2;
    }
    po.properties[p.substr(0, eq)] = p.substr(eq + 1);
  }
  std::string error;
  const auto data = find_demo_data(a.data, error);
  if (data.empty()) {
    std::fprintf(stderr, "generate: %s\n", error.c_str());
    return 1;
  }
  auto pool = load_pool(data, error);
  if (!pool) {
    std::fprintf(stderr, "generate: %s\n", error.c_str());
    return 1;
  }
  const int64_t start = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  std::vector<core::Episode> episodes;
  if (!a.no_episodes) {
    for (const auto& s : demo_schedule(start, timing)) {
      episodes.push_back(s.episode);
      std::fprintf(stderr, "generate: episode '%s' from +%llds to +%llds (expects %s [%s])\n",
                   s.episode.label.c_str(), (long long)((s.episode.start_ms - start) / 1000),
                   (long long)((s.episode.end_ms - start) / 1000), s.expected_kind.c_str(),
                   s.expected_subject.c_str());
    }
  }
  auto producer = DemoProducer::Create(po, *pool, episodes, error);
  if (!producer) {
    std::fprintf(stderr, "generate: %s\n", error.c_str());
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = [](int) { g_interrupted = true; };
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::fprintf(stderr, "generate: %zu frames from %s -> %s topic %s, stream %s, %.0f frames/s\n",
               pool->size(), data.c_str(), a.brokers.c_str(), a.topic.c_str(), a.stream.c_str(),
               a.rate);
  producer->start();
  const auto t0 = std::chrono::steady_clock::now();
  auto next_report = t0 + std::chrono::seconds(5);
  while (!g_interrupted) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto now = std::chrono::steady_clock::now();
    if (a.duration_s > 0 && now - t0 >= std::chrono::duration<double>(a.duration_s)) break;
    if (now >= next_report) {
      next_report += std::chrono::seconds(5);
      const int64_t wall = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
      const std::string ep = producer->episode_at(wall);
      std::fprintf(
          stderr, "generate: %llu produced, %llu delivered, %llu errors; %s\n",
          (unsigned long long)producer->produced(), (unsigned long long)producer->delivered(),
          (unsigned long long)producer->delivery_errors(), ep.empty() ? "quiet" : ep.c_str());
    }
  }
  producer->stop();
  std::fprintf(stderr, "generate: done, %llu produced, %llu delivered, %llu errors\n",
               (unsigned long long)producer->produced(), (unsigned long long)producer->delivered(),
               (unsigned long long)producer->delivery_errors());
  return producer->delivery_errors() == 0 ? 0 : 1;
}

}  // namespace

void add_generate_commands(CLI::App& app, CommandResult& result) {
  auto args = std::make_shared<GenerateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "generate",
      "Produce the demo's prediction events (COCO val2017 frames with drift episodes) to Kafka");
  cmd->add_option("--brokers", args->brokers, "Bootstrap brokers (default localhost:9092)");
  cmd->add_option("--topic", args->topic, "Topic (default predictions)");
  cmd->add_option("--stream", args->stream, "Stream key of the events (default demo-cam)");
  cmd->add_option("--rate", args->rate, "Frames per second (default 200)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--duration", args->duration_s, "Stop after SECONDS (default: until Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--data", args->data, "COCO instances file or folder (default: the demo's)");
  cmd->add_option("--seed", args->seed, "Generator seed (default 1)");
  cmd->add_flag("--no-episodes", args->no_episodes, "Quiet traffic only (no drift episodes)");
  cmd->add_option("--warmup", args->warmup, "Quiet time before the first episode (default 30s)");
  cmd->add_option("--episode", args->episode, "Length of each episode (default 75s)");
  cmd->add_option("--gap", args->gap, "Quiet time after each episode (default 75s)");
  cmd->add_option("--property", args->properties, "Extra librdkafka producer property key=value");
  cmd->callback([args, &result] { result.exit_code = run_generate(*args); });
}

}  // namespace predwatch::daemon
