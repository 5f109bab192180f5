#include "daemon/baseline/baseline_file.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/class_registry.h"
#include "core/frame_builder.h"
#include "daemon/convert/stats_convert.h"

namespace predwatch::daemon {

namespace fs = std::filesystem;

core::BaselineKind kind_from_proto(v1::Baseline::Kind kind) {
  switch (kind) {
    case v1::Baseline::KIND_PRODUCTION_WINDOW:
      return core::BaselineKind::kProductionWindow;
    case v1::Baseline::KIND_DATASET_PREDICTIONS:
      return core::BaselineKind::kDatasetPredictions;
    default:
      return core::BaselineKind::kTrainingAnnotations;
  }
}

v1::Baseline::Kind kind_to_proto(core::BaselineKind kind) {
  switch (kind) {
    case core::BaselineKind::kProductionWindow:
      return v1::Baseline::KIND_PRODUCTION_WINDOW;
    case core::BaselineKind::kDatasetPredictions:
      return v1::Baseline::KIND_DATASET_PREDICTIONS;
    default:
      return v1::Baseline::KIND_TRAINING_ANNOTATIONS;
  }
}

std::optional<LoadedBaseline> baseline_from_proto(const v1::Baseline& proto, std::string& error) {
  if (proto.format_version() != 1) {
    error = "unsupported baseline format_version " + std::to_string(proto.format_version()) +
            " (this predwatch reads version 1)";
    return std::nullopt;
  }
  if (proto.kind() == v1::Baseline::KIND_UNSPECIFIED) {
    error = "baseline kind is unspecified";
    return std::nullopt;
  }
  core::StatsData data;
  std::vector<std::string> names;
  if (std::string err = stats_from_proto(proto.stats(), &data, &names); !err.empty()) {
    error = err;
    return std::nullopt;
  }
  if (data.frames <= 0) {
    error = "baseline holds no frames";
    return std::nullopt;
  }
  std::vector<std::string> sorted = names;
  std::sort(sorted.begin(), sorted.end());
  if (auto dup = std::adjacent_find(sorted.begin(), sorted.end()); dup != sorted.end()) {
    error = "baseline names class '" + *dup + "' twice";
    return std::nullopt;
  }
  LoadedBaseline out;
  out.stats.stats = core::Stats::from_data(data);
  out.stats.class_names = std::move(names);
  out.stats.kind = kind_from_proto(proto.kind());
  out.proto = proto;
  out.proto.clear_stats();
  return out;
}

std::optional<LoadedBaseline> load_baseline(const fs::path& file, std::string& error) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    error = file.string() + ": cannot open baseline file";
    return std::nullopt;
  }
  v1::Baseline proto;
  if (!proto.ParseFromIstream(&in)) {
    error = file.string() + ": not a predwatch baseline (protobuf parse failed)";
    return std::nullopt;
  }
  std::string err;
  auto loaded = baseline_from_proto(proto, err);
  if (!loaded) error = file.string() + ": " + err;
  return loaded;
}

std::string write_message(const fs::path& file, const google::protobuf::Message& message) {
  const fs::path tmp = file.string() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out || !message.SerializeToOstream(&out)) return file.string() + ": cannot write";
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) return file.string() + ": cannot write: " + ec.message();
  return {};
}

std::string ensure_directory(const fs::path& directory) {
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) return directory.string() + ": cannot create the directory: " + ec.message();
  return {};
}

std::string remove_file(const fs::path& file) {
  std::error_code ec;
  fs::remove(file, ec);
  if (ec) return file.string() + ": cannot delete: " + ec.message();
  return {};
}

std::string save_baseline(const fs::path& file, const v1::Baseline& baseline) {
  return write_message(file, baseline);
}

v1::Baseline make_baseline(const core::Stats& stats, const std::vector<std::string>& class_names,
                           core::BaselineKind kind) {
  v1::Baseline b;
  b.set_format_version(1);
  b.set_kind(kind_to_proto(kind));
  StatsSections sections;  // tables plus the readable view, for `baseline show --json`
  sections.heatmaps = sections.sizes = sections.confidence = false;
  stats_to_proto(stats, class_names, sections, b.mutable_stats());
  b.set_created_by(std::string("predwatch ") + PREDWATCH_VERSION);
  return b;
}

v1::Baseline baseline_to_proto(const LoadedBaseline& baseline) {
  v1::Baseline b = baseline.proto;
  std::vector<std::string> names = baseline.stats.class_names;
  names.resize(std::max<size_t>(names.size(), baseline.stats.stats.num_classes()));
  *b.mutable_stats() = make_baseline(baseline.stats.stats, names, baseline.stats.kind).stats();
  return b;
}

std::string content_sha256(const fs::path& path) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (it->is_regular_file()) files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  if (ec) return {};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 16);
  bool ok = true;
  for (const fs::path& f : files) {
    if (files.size() > 1 || f != path) {
      const std::string rel = fs::relative(f, path).generic_string();
      EVP_DigestUpdate(ctx, rel.data(), rel.size() + 1);  // with the terminating NUL
    }
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      ok = false;
      break;
    }
    while (in) {
      in.read(buf.data(), std::streamsize(buf.size()));
      EVP_DigestUpdate(ctx, buf.data(), size_t(in.gcount()));
    }
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  if (!ok) return {};
  std::string hex;
  static const char* kDigits = "0123456789abcdef";
  for (unsigned i = 0; i < len; ++i) {
    hex += kDigits[md[i] >> 4];
    hex += kDigits[md[i] & 15];
  }
  return hex;
}

std::string build_dataset_stats(const fs::path& path, std::string_view format,
                                const ImportOptions& options, const ClassMapping& mapping,
                                const core::StatsLayout& layout, DatasetBuild& out,
                                const std::function<void(const core::Event&)>& on_event) {
  auto importer = make_importer(format);
  if (!importer) {
    std::string known;
    for (std::string_view f : importer_formats())
      known += (known.empty() ? "" : ", ") + std::string(f);
    return "unknown format '" + std::string(format) + "' (known: " + known + ")";
  }
  out.stats = core::Stats(layout);
  core::ClassRegistry registry(1'000'000);
  core::ClassNaming naming;
  core::FrameBuilder builder(naming, registry);
  core::Frame frame;
  ClassMapping map = mapping;  // apply() counts; keep the caller's copy untouched
  core::Event mapped;
  ImportResult result = importer->import(path, options, [&](const core::Event& e) {
    const core::Event* event = &e;
    if (!map.empty()) {
      mapped = e;
      map.apply(mapped);
      event = &mapped;
    }
    builder.build(*event, frame);
    out.stats.add(frame);
    if (on_event) on_event(*event);
  });
  out.summary = result.summary;
  out.mapped_renamed = map.total_renamed();
  out.mapped_dropped = map.total_dropped();
  out.class_names = registry.names();
  out.stats.reserve_classes(uint32_t(registry.size()));
  if (!result.ok()) return result.error;
  if (out.summary.images == 0) return path.string() + ": the dataset has no images";
  return {};
}

}  // namespace predwatch::daemon
