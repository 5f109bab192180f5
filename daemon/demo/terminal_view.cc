#include "daemon/demo/terminal_view.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

namespace predwatch::daemon {
namespace {

constexpr const char* kBold = "\x1b[1m";
constexpr const char* kRed = "\x1b[31m";
constexpr const char* kYellow = "\x1b[33m";
constexpr const char* kReset = "\x1b[0m";

}  // namespace

TerminalView::TerminalView(const MonitorEngine& engine, TerminalViewOptions options)
    : engine_(engine), options_(std::move(options)) {}

TerminalView::~TerminalView() { stop(); }

void TerminalView::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void TerminalView::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string TerminalView::render(double rate, std::chrono::seconds elapsed) const {
  const bool ansi = options_.ansi;
  auto style = [&](const char* code, const std::string& s) {
    return ansi ? std::string(code) + s + kReset : s;
  };
  std::string out;
  struct ClassRow {
    std::string name;
    double window_share = 0, baseline_share = 0;
  };
  std::vector<ClassRow> rows;
  // What the engine decided per kind: only flagged findings (evidence and effect) show a
  // score; a large distance without evidence is not drift and is not shown as such.
  struct KindRow {
    double ratio = 0;  // largest score / threshold among flagged findings
    std::string subject;
    int flagged = 0;
    int tested = 0;
  };
  std::map<std::string, KindRow> kinds;
  std::string window_name;
  std::string reference;  // the learned reference's state, "" when none is learned
  int64_t frames = 0;
  const bool found = engine_.with_stream(options_.stream, [&](const StreamView& v) {
    int w = options_.window.empty() ? 0 : v.monitor.find_window(options_.window);
    if (w < 0) w = 0;
    window_name = v.monitor.spec(size_t(w)).name;
    if (const core::ReferenceLearner* l = v.monitor.reference()) {
      reference =
          l->complete()
              ? fmt::format("{} ({} frames)", core::reference_state_name(l->state()), l->frames())
              : fmt::format("learning {:.0f}% ({} frames)", 100 * l->progress(), l->frames());
    }
    const core::Stats& s = v.monitor.window(size_t(w)).totals();
    frames = s.frames();
    const auto& names = v.monitor.classes().names();
    std::map<std::string, double> base;
    if (v.baseline) {
      const core::Stats& b = v.baseline->stats.stats;
      const double total = double(std::max<int64_t>(1, b.objects()));
      for (size_t c = 0; c < v.baseline->stats.class_names.size(); ++c)
        base[v.baseline->stats.class_names[c]] = double(b.objects_of(core::ClassId(c))) / total;
    }
    const double total = double(std::max<int64_t>(1, s.objects()));
    for (size_t c = 0; c < names.size() && c < s.num_classes(); ++c) {
      rows.push_back({names[c], double(s.objects_of(core::ClassId(c))) / total,
                      base.count(names[c]) ? base[names[c]] : 0.0});
    }
    for (const core::DriftReport& r : v.drift) {
      if (r.window != window_name) continue;
      for (const core::DriftFinding& f : r.findings) {
        KindRow& k = kinds[std::string(core::alert_kind_name(f.kind))];
        k.tested += f.tested;
        if (!f.flagged) continue;
        ++k.flagged;
        if (std::isfinite(f.score) && std::isfinite(f.threshold) && f.threshold > 0) {
          const double ratio = f.score / f.threshold;
          if (ratio > k.ratio) {
            k.ratio = ratio;
            k.subject = f.subject();
          }
        }
      }
    }
  });
  std::sort(rows.begin(), rows.end(), [](const ClassRow& a, const ClassRow& b) {
    return std::max(a.window_share, a.baseline_share) > std::max(b.window_share, b.baseline_share);
  });
  if (rows.size() > 8) rows.resize(8);

  const std::string episode = options_.episode ? options_.episode() : "";
  const auto alerts = engine_.alerts(options_.stream);
  if (!ansi) {
    int firing = 0;
    std::string names;
    for (const core::Alert& a : alerts) {
      if (a.state != core::AlertState::kFiring) continue;
      ++firing;
      names += fmt::format(" {}[{}]", core::alert_kind_name(a.last.key.kind), a.last.key.subject);
    }
    return fmt::format(
        "demo +{}s: {:.0f} frames/s, window {} holds {} frames, episode: {}, "
        "firing {}:{}\n",
        elapsed.count(), rate, window_name, frames, episode.empty() ? "quiet" : episode, firing,
        names);
  }

  out += options_.header;
  out += fmt::format("\n{} +{}s   ingest {:.0f} frames/s   window {}: {} frames\n",
                     style(kBold, "predwatch demo"), elapsed.count(), rate, window_name, frames);
  if (!reference.empty()) out += fmt::format("learned reference: {}\n", reference);
  out += fmt::format("episode: {}\n\n", episode.empty() ? std::string("quiet (no drift injected)")
                                                        : style(kYellow, episode));
  if (!found) {
    out += "waiting for the first events...\n";
    return out;
  }
  out += fmt::format("{:<16} {:>8} {:>9}\n", "class", "window", "baseline");
  for (const ClassRow& r : rows) {
    out += fmt::format("{:<16} {:>7.1f}% {:>8.1f}%\n", r.name.substr(0, 16), 100 * r.window_share,
                       100 * r.baseline_share);
  }
  out += fmt::format("\n{:<20} {:<8} {:>12}  {}\n", "drift kind", "verdict", "score/thresh",
                     "subject (largest flagged)");
  for (const auto& [kind, k] : kinds) {
    if (k.flagged == 0) {
      out += fmt::format("{:<20} {:<8} {:>12}  {}\n", kind, "ok", "-",
                         k.tested > 0 ? fmt::format("({} tested)", k.tested) : "(not tested)");
      continue;
    }
    out += fmt::format(
        "{:<20} {} {:>12.2f}  {}\n", kind, style(kRed, fmt::format("{:<8}", "DRIFT")), k.ratio,
        k.subject.substr(0, 30) + (k.flagged > 1 ? fmt::format(" (+{} more)", k.flagged - 1) : ""));
  }
  out += "\nalerts:\n";
  int shown = 0;
  for (const core::Alert& a : alerts) {
    const bool firing = a.state == core::AlertState::kFiring;
    std::string over;  // the windows that agree, e.g. "5m,1h"
    for (const core::AlertWindow& w : a.last.windows)
      if (w.over)
        over += (over.empty() ? "" : ",") + w.window +
                (w.against == core::Against::kReference ? " vs reference" : "");
    std::string related;
    for (const std::string& r : a.last.related_subjects)
      related += (related.empty() ? "" : ",") + r;
    out += fmt::format(
        "  {} {} [{}]{} window {} score {:.3g} (threshold {:.3g}){}\n",
        firing ? style(kRed, "FIRING ") : style(kYellow, "pending"),
        core::alert_kind_name(a.last.key.kind), a.last.key.subject,
        related.empty() ? "" : " with " + related,
        a.last.window + (a.last.against == core::Against::kReference ? " vs reference" : ""),
        a.last.score, a.last.threshold, over.empty() ? "" : ", over in " + over);
    if (++shown == 10) break;
  }
  if (alerts.empty()) out += "  none\n";
  return out;
}

void TerminalView::run() {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto last = start;
  auto last_plain = start;
  uint64_t last_applied = engine_.counters().applied;
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_; })) {
    const auto now = Clock::now();
    const uint64_t applied = engine_.counters().applied;
    const double dt = std::chrono::duration<double>(now - last).count();
    const double rate = dt > 0 ? double(applied - last_applied) / dt : 0;
    last = now;
    last_applied = applied;
    const auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(now - start);
    if (options_.ansi) {
      // Home, clear screen, draw.
      std::string frame = "\x1b[H\x1b[2J" + render(rate, elapsed);
      std::fwrite(frame.data(), 1, frame.size(), options_.out);
      std::fflush(options_.out);
    } else if (now - last_plain >= options_.plain_interval) {
      last_plain = now;
      std::string line = render(rate, elapsed);
      std::fwrite(line.data(), 1, line.size(), options_.out);
      std::fflush(options_.out);
    }
  }
}

}  // namespace predwatch::daemon
