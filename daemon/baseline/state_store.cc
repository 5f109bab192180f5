#include "daemon/baseline/reference_store.h"

#include <cstdio>
#include <system_error>

#include "daemon/baseline/baseline_file.h"
#include "daemon/convert/proto_time.h"

namespace predwatch::daemon {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxEscaped = 160;
constexpr std::string_view kLearned = "learned";
constexpr std::string_view kPinned = "pinned";

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace

ReferenceStore::ReferenceStore(fs::path directory) : directory_(std::move(directory)) {}

std::string ReferenceStore::file_name(std::string_view stream) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : stream) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
        c == '-') {
      out += char(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (out.size() > kMaxEscaped) {
    out.resize(kMaxEscaped);
    char buf[20];
    std::snprintf(buf, sizeof buf, "~%016llx", static_cast<unsigned long long>(fnv1a(stream)));
    out += buf;
  }
  return "ref_" + out + ".pwref";
}

std::string ReferenceStore::save(std::string_view stream, const StoredReference& r) const {
  std::error_code ec;
  fs::create_directories(directory_, ec);
  if (ec) return directory_.string() + ": cannot create the directory: " + ec.message();
  v1::Baseline b =
      make_baseline(r.stats.stats, r.stats.class_names, core::BaselineKind::kProductionWindow);
  v1::WindowOrigin* origin = b.mutable_window();
  origin->set_stream(std::string(stream));
  origin->set_window(std::string(r.state == core::ReferenceState::kPinned ? kPinned : kLearned));
  ms_to_timestamp(r.start_ms, origin->mutable_start());
  ms_to_timestamp(r.end_ms, origin->mutable_end());
  return save_baseline(path_of(stream), b);
}

std::optional<StoredReference> ReferenceStore::load(std::string_view stream,
                                                    std::string& error) const {
  error.clear();
  const fs::path file = path_of(stream);
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::nullopt;
  auto loaded = load_baseline(file, error);
  if (!loaded) {
    if (error.find(file.string()) == std::string::npos) error = file.string() + ": " + error;
    return std::nullopt;
  }
  const v1::Baseline& p = loaded->proto;
  if (p.origin_case() != v1::Baseline::kWindow) {
    error = file.string() + ": not a learned reference (no window origin)";
    return std::nullopt;
  }
  if (p.window().stream() != stream) {
    error = file.string() + ": a reference of stream '" + p.window().stream() + "', not of '" +
            std::string(stream) + "'";
    return std::nullopt;
  }
  if (p.window().window() != kLearned && p.window().window() != kPinned) {
    error = file.string() + ": unknown reference state '" + p.window().window() + "'";
    return std::nullopt;
  }
  if (loaded->stats.kind != core::BaselineKind::kProductionWindow) {
    error = file.string() + ": not a production-window baseline";
    return std::nullopt;
  }
  StoredReference out;
  out.stats = std::move(loaded->stats);
  out.start_ms = timestamp_to_ms(p.window().start());
  out.end_ms = timestamp_to_ms(p.window().end());
  out.state = p.window().window() == kPinned ? core::ReferenceState::kPinned
                                             : core::ReferenceState::kComplete;
  return out;
}

std::string ReferenceStore::remove(std::string_view stream) const {
  std::error_code ec;
  fs::remove(path_of(stream), ec);
  if (ec) return path_of(stream).string() + ": cannot delete: " + ec.message();
  return {};
}

}  // namespace predwatch::daemon
