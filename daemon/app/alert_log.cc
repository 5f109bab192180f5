#include "daemon/app/alert_log.h"

#include <fmt/format.h>

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

}  // namespace

std::string AlertLog::quote(std::string_view s) { return json_string(s); }

std::unique_ptr<AlertLog> AlertLog::Open(const std::filesystem::path& file, MonitorEngine& engine,
                                         std::string& error) {
  std::unique_ptr<AlertLog> log(new AlertLog(engine, file));
  log->out_.open(file, std::ios::out | std::ios::app);
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

bool AlertLog::reopen(std::string& error) {
  std::ofstream next(file_, std::ios::out | std::ios::app);
  if (!next) {
    error = "alerts log: cannot reopen " + file_.string() + "; still writing to the open file";
    return false;
  }
  std::lock_guard lock(mu_);
  out_ = std::move(next);
  return true;
}

AlertLog::~AlertLog() {
  if (subscription_) engine_.unsubscribe(subscription_);
}

std::string AlertLog::to_json(const core::AlertTransition& t) {
  const core::AlertObservation& o = t.alert.last;
  JsonWriter w;
  w.begin_object();
  w.key("type").value("transition").key("time_ms").value(t.time_ms);
  w.key("from").value(core::alert_state_name(t.from)).key("to").value(core::alert_state_name(t.to));
  w.key("kind").value(core::alert_kind_name(o.key.kind)).key("stream").value(o.key.stream);
  w.key("window").value(o.window).key("against").value(core::against_name(o.against));
  w.key("subject").value(o.key.subject);
  w.key("fingerprint").value(core::fingerprint_hex(t.alert.fingerprint));
  w.key("score").value(o.score).key("threshold").value(o.threshold);
  w.key("peak_score").value(t.alert.peak_score);
  write_window_details(w, o);
  if (!t.note.empty()) w.key("note").value(t.note);
  w.end_object();
  return w.str();
}

void AlertLog::write_window_details(JsonWriter& w, const core::AlertObservation& o) {
  w.key("windows").begin_array();
  for (const core::AlertWindow& d : o.windows) {
    w.begin_object();
    w.key("window").value(d.window).key("against").value(core::against_name(d.against));
    w.key("over").value(d.over);
    w.key("score").value(d.score).key("threshold").value(d.threshold);
    w.key("p_value").value(d.p_value);
    w.key("window_count").value(d.counts.window_count);
    w.key("window_total").value(d.counts.window_total);
    w.end_object();
  }
  w.end_array();
  w.key("related_subjects").begin_array();
  for (const std::string& s : o.related_subjects) w.value(s);
  w.end_array();
}

}  // namespace predwatch::daemon
