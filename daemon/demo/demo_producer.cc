#include "daemon/demo/demo_producer.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "daemon/demo/event_json.h"

namespace predwatch::daemon {
namespace {

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void DemoProducer::on_delivery(rd_kafka_s*, const void* msg, void* opaque) {
  auto* self = static_cast<DemoProducer*>(opaque);
  const auto* m = static_cast<const rd_kafka_message_t*>(msg);
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++self->delivered_;
  } else if (self->delivery_errors_++ == 0) {
    spdlog::warn("demo producer: delivery failed: {}", rd_kafka_err2str(m->err));
  }
}

std::unique_ptr<DemoProducer> DemoProducer::Create(DemoProducerOptions options,
                                                   std::span<const core::PoolFrame> pool,
                                                   const std::vector<core::Episode>& episodes,
                                                   std::string& error) {
  if (options.bootstrap_servers.empty() || options.topic.empty() ||
      !(options.frames_per_second > 0) || pool.empty()) {
    error = "demo producer: bootstrap servers, topic, a positive rate and frames are required";
    return nullptr;
  }
  std::unique_ptr<DemoProducer> p(new DemoProducer());
  p->generator_ = std::make_unique<core::ScenarioGenerator>(pool, options.stream, options.seed);
  for (const core::Episode& e : episodes) {
    if (std::string err = p->generator_->add_episode(e); !err.empty()) {
      error = "demo producer: episode '" + e.label + "': " + err;
      return nullptr;
    }
  }
  p->episodes_ = episodes;

  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::map<std::string, std::string> props = {{"bootstrap.servers", options.bootstrap_servers},
                                              {"linger.ms", "20"},
                                              {"queue.buffering.max.messages", "200000"}};
  for (const auto& [k, v] : options.properties) props[k] = v;
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      error = "demo producer: property " + k + ": " + err;
      return nullptr;
    }
  }
  rd_kafka_conf_set_dr_msg_cb(
      conf, [](rd_kafka_t* rk, const rd_kafka_message_t* m, void* op) { on_delivery(rk, m, op); });
  rd_kafka_conf_set_opaque(conf, p.get());
  p->producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (p->producer_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    error = std::string("demo producer: ") + err;
    return nullptr;
  }
  p->options_ = std::move(options);
  return p;
}

DemoProducer::~DemoProducer() {
  stop();
  if (producer_) rd_kafka_destroy(producer_);
}

void DemoProducer::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void DemoProducer::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (producer_) rd_kafka_flush(producer_, 5000);
}

std::string DemoProducer::episode_at(int64_t now_ms) const {
  for (const core::Episode& e : episodes_)
    if (e.active_at(now_ms)) return e.label;
  return {};
}

void DemoProducer::run() {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const double period_ns = 1e9 / options_.frames_per_second;
  std::string payload;
  static constexpr char kContentType[] = "application/json";
  for (uint64_t i = 0; !stop_; ++i) {
    const auto due = start + std::chrono::nanoseconds(static_cast<int64_t>(double(i) * period_ns));
    const auto now = Clock::now();
    if (due > now) {
      std::this_thread::sleep_for(
          std::min<Clock::duration>(due - now, std::chrono::milliseconds(50)));
      if (Clock::now() < due) {
        --i;  // woke early to check stop_; same frame again
        continue;
      }
    }
    const core::Event& e = generator_->next(wall_ms());
    payload.clear();
    append_event_json(e, payload);
    for (;;) {
      rd_kafka_headers_t* headers = rd_kafka_headers_new(1);
      rd_kafka_header_add(headers, "content-type", -1, kContentType, -1);
      rd_kafka_resp_err_t err = rd_kafka_producev(
          producer_, RD_KAFKA_V_TOPIC(options_.topic.c_str()),
          RD_KAFKA_V_KEY(options_.stream.data(), options_.stream.size()),
          RD_KAFKA_V_VALUE(payload.data(), payload.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++produced_;
        break;
      }
      rd_kafka_headers_destroy(headers);
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || stop_) {
        if (delivery_errors_++ == 0) {
          spdlog::warn("demo producer: produce failed: {}", rd_kafka_err2str(err));
        }
        break;
      }
      rd_kafka_poll(producer_, 100);
    }
    rd_kafka_poll(producer_, 0);
  }
}

}  // namespace predwatch::daemon
