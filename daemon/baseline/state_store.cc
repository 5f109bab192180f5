#include "daemon/baseline/state_store.h"

#include <cstdio>
#include <fstream>
#include <system_error>

#include "daemon/baseline/baseline_file.h"
#include "daemon/convert/proto_time.h"
#include "predwatch/v1/state.pb.h"

namespace predwatch::daemon {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxEscaped = 160;
constexpr std::string_view kLearned = "learned";
constexpr std::string_view kPinned = "pinned";
constexpr std::string_view kInherited = "inherited:";  // + the stream it was copied from

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string escaped(std::string_view stream) {
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
  return out;
}

}  // namespace

StateStore::StateStore(fs::path directory) : directory_(std::move(directory)) {}

std::string StateStore::escaped_key(std::string_view stream) { return escaped(stream); }

std::string StateStore::reference_file_name(std::string_view stream) {
  return "ref_" + escaped(stream) + ".pwref";
}

std::string StateStore::baseline_file_name(std::string_view stream) {
  return "baseline_" + escaped(stream) + ".pwb";
}

std::string StateStore::save_reference(std::string_view stream, const StoredReference& r) const {
  if (std::string error = ensure_directory(directory_); !error.empty()) return error;
  v1::Baseline b =
      make_baseline(r.stats.stats, r.stats.class_names, core::BaselineKind::kProductionWindow);
  v1::WindowOrigin* origin = b.mutable_window();
  origin->set_stream(std::string(stream));
  origin->set_window(
      !r.inherited_from.empty()
          ? std::string(kInherited) + r.inherited_from
          : std::string(r.state == core::ReferenceState::kPinned ? kPinned : kLearned));
  ms_to_timestamp(r.start_ms, origin->mutable_start());
  ms_to_timestamp(r.end_ms, origin->mutable_end());
  return daemon::save_baseline(reference_path(stream), b);
}

std::optional<StoredReference> StateStore::load_reference(std::string_view stream,
                                                          std::string& error) const {
  error.clear();
  const fs::path file = reference_path(stream);
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::nullopt;
  auto loaded = daemon::load_baseline(file, error);
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
  const std::string& how = p.window().window();
  if (how != kLearned && how != kPinned &&
      !(how.starts_with(kInherited) && how.size() > kInherited.size())) {
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
  out.state = how == kPinned ? core::ReferenceState::kPinned : core::ReferenceState::kComplete;
  if (how.starts_with(kInherited)) out.inherited_from = how.substr(kInherited.size());
  return out;
}

std::string StateStore::remove_reference(std::string_view stream) const {
  return remove_file(reference_path(stream));
}

std::string StateStore::save_baseline(std::string_view stream, const v1::Baseline& baseline) const {
  if (std::string error = ensure_directory(directory_); !error.empty()) return error;
  v1::InstalledBaseline installed;
  installed.set_stream(std::string(stream));
  *installed.mutable_baseline() = baseline;
  return write_message(baseline_path(stream), installed);
}

std::optional<LoadedBaseline> StateStore::load_baseline(std::string_view stream,
                                                        std::string& error) const {
  error.clear();
  const fs::path file = baseline_path(stream);
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::nullopt;
  std::ifstream in(file, std::ios::binary);
  v1::InstalledBaseline installed;
  if (!in || !installed.ParseFromIstream(&in)) {
    error = file.string() + ": not an installed baseline (cannot read or parse it)";
    return std::nullopt;
  }
  if (installed.stream() != stream) {
    error = file.string() + ": the baseline of stream '" + installed.stream() + "', not of '" +
            std::string(stream) + "'";
    return std::nullopt;
  }
  std::string err;
  auto loaded = baseline_from_proto(installed.baseline(), err);
  if (!loaded) error = file.string() + ": " + err;
  return loaded;
}

std::string StateStore::remove_baseline(std::string_view stream) const {
  return remove_file(baseline_path(stream));
}

}  // namespace predwatch::daemon
