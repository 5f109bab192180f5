#include "daemon/app/alert_log.h"

#include <fmt/format.h>

#include <cmath>

namespace predwatch::daemon {
namespace {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", unsigned(static_cast<unsigned char>(c)));
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

std::string json_number(double v) { return std::isfinite(v) ? fmt::format("{}", v) : "null"; }

}  // namespace

std::string AlertLog::quote(std::string_view s) { return json_string(s); }

std::unique_ptr<AlertLog> AlertLog::Open(const std::filesystem::path& file, MonitorEngine& engine,
                                         std::string& error) {
  std::unique_ptr<AlertLog> log(new AlertLog(engine));
  log->out_.open(file, std::ios::out | std::ios::trunc);
  if (!log->out_) {
    error = "alerts log: cannot write " + file.string();
    return nullptr;
  }
  AlertLog* self = log.get();
  log->subscription_ =
      engine.subscribe([self](const core::AlertTransition& t) { self->write_line(to_json(t)); });
  return log;
}

void AlertLog::write_line(const std::string& json) {
  std::lock_guard lock(mu_);
  out_ << json << '\n';
  out_.flush();
}

AlertLog::~AlertLog() {
  if (subscription_) engine_.unsubscribe(subscription_);
}

std::string AlertLog::to_json(const core::AlertTransition& t) {
  const core::AlertObservation& o = t.alert.last;
  return fmt::format(
      "{{\"type\":\"transition\",\"time_ms\":{},\"from\":{},\"to\":{},\"kind\":{},\"stream\":{},"
      "\"window\":{},"
      "\"subject\":{},\"fingerprint\":{},\"score\":{},\"threshold\":{},\"peak_score\":{}}}",
      t.time_ms, json_string(core::alert_state_name(t.from)),
      json_string(core::alert_state_name(t.to)), json_string(core::alert_kind_name(o.key.kind)),
      json_string(o.key.stream), json_string(o.key.window), json_string(o.key.subject),
      json_string(core::fingerprint_hex(t.alert.fingerprint)), json_number(o.score),
      json_number(o.threshold), json_number(t.alert.peak_score));
}

}  // namespace predwatch::daemon
