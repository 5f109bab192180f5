#include "daemon/dataset/class_mapping.h"

#include <fmt/format.h>
#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>
#include <utility>

namespace predwatch::daemon {
namespace {

std::string at(std::string_view source, const YAML::Mark& mark, std::string_view what) {
  if (mark.is_null()) return fmt::format("{}: {}", source, what);
  return fmt::format("{}:{}:{}: {}", source, mark.line + 1, mark.column + 1, what);
}

}  // namespace

std::optional<ClassMapping> ClassMapping::load(const std::filesystem::path& file,
                                               std::string& error) {
  std::ifstream in(file);
  if (!in) {
    error = fmt::format("{}: cannot open class mapping file", file.string());
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), file.string(), error);
}

std::optional<ClassMapping> ClassMapping::parse(std::string_view yaml, std::string_view source,
                                                std::string& error) {
  // Its names become class names (proto3 strings, metric labels): UTF-8 only.
  if (!simdjson::validate_utf8(yaml.data(), yaml.size())) {
    error = fmt::format("{}: not valid UTF-8; the file must be UTF-8", source);
    return std::nullopt;
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    error = at(source, e.mark, e.msg);
    return std::nullopt;
  }
  ClassMapping m;
  if (root.IsNull()) return m;
  if (!root.IsMap()) {
    error = at(source, root.Mark(), "expected a mapping with `map` and/or `ignore`");
    return std::nullopt;
  }
  try {
    bool seen_map = false, seen_ignore = false;
    for (const auto& kv : root) {
      std::string key = kv.first.as<std::string>();
      const YAML::Node& value = kv.second;
      // yaml-cpp keeps duplicate keys; the second look below reads only the first `map`, so
      // a rule of a second `map` section escaped the chain check.
      if ((key == "map" && std::exchange(seen_map, true)) ||
          (key == "ignore" && std::exchange(seen_ignore, true))) {
        error = at(source, kv.first.Mark(), fmt::format("duplicate key \"{}\"", key));
        return std::nullopt;
      }
      if (key == "map") {
        if (value.IsNull()) continue;
        if (!value.IsMap()) {
          error = at(source, value.Mark(), "`map` must be a mapping source name -> target name");
          return std::nullopt;
        }
        for (const auto& rule : value) {
          if (!rule.first.IsScalar() || !rule.second.IsScalar()) {
            error = at(source, rule.first.Mark(), "`map` entries must be `source: target` names");
            return std::nullopt;
          }
          std::string from = rule.first.as<std::string>(), to = rule.second.as<std::string>();
          if (from.empty() || to.empty()) {
            error = at(source, rule.first.Mark(), "empty class name in `map`");
            return std::nullopt;
          }
          if (!m.rename_.emplace(from, Rename{to, 0}).second) {
            error =
                at(source, rule.first.Mark(), fmt::format("class \"{}\" is mapped twice", from));
            return std::nullopt;
          }
        }
      } else if (key == "ignore") {
        if (value.IsNull()) continue;
        if (!value.IsSequence()) {
          error = at(source, value.Mark(), "`ignore` must be a list of class names");
          return std::nullopt;
        }
        for (const auto& item : value) {
          if (!item.IsScalar() || item.as<std::string>().empty()) {
            error = at(source, item.Mark(), "`ignore` entries must be class names");
            return std::nullopt;
          }
          std::string name = item.as<std::string>();
          if (m.rename_.count(name)) {
            error = at(source, item.Mark(),
                       fmt::format("class \"{}\" is both mapped and ignored", name));
            return std::nullopt;
          }
          m.ignore_.emplace(name, 0);
        }
      } else {
        error = at(source, kv.first.Mark(),
                   fmt::format("unknown key \"{}\" (expected `map` or `ignore`)", key));
        return std::nullopt;
      }
    }
  } catch (const YAML::Exception& e) {
    error = at(source, e.mark, e.msg);
    return std::nullopt;
  }
  // Second look, now that both sections are known (their order in the file is free).
  YAML::Node map_node = root["map"];
  if (map_node && map_node.IsMap()) {
    for (const auto& rule : map_node) {
      std::string from = rule.first.as<std::string>(), to = rule.second.as<std::string>();
      if (m.ignore_.count(from)) {
        error = at(source, rule.first.Mark(),
                   fmt::format("class \"{}\" is both mapped and ignored", from));
        return std::nullopt;
      }
      if (m.rename_.count(to) && to != from) {
        error = at(
            source, rule.second.Mark(),
            fmt::format(
                "target \"{}\" is itself mapped; rules do not chain, map \"{}\" to the final name",
                to, from));
        return std::nullopt;
      }
    }
  }
  return m;
}

void ClassMapping::apply(core::Event& event) {
  if (empty()) return;
  auto& dets = event.detections;
  size_t out = 0;
  for (size_t i = 0; i < dets.size(); ++i) {
    core::NamedDetection d = dets[i];
    if (!d.class_name.empty()) {
      if (auto ig = ignore_.find(d.class_name); ig != ignore_.end()) {
        ++ig->second;
        ++total_dropped_;
        continue;
      }
      if (auto rn = rename_.find(d.class_name); rn != rename_.end()) {
        ++rn->second.count;
        ++total_renamed_;
        d.class_name = rn->second.to;
      }
    }
    dets[out++] = d;
  }
  dets.resize(out);
}

EventCallback ClassMapping::wrap(EventCallback next) {
  return [this, next = std::move(next), scratch = core::Event()](const core::Event& e) mutable {
    scratch.frame_id = e.frame_id;
    scratch.stream = e.stream;
    scratch.model_name = e.model_name;
    scratch.model_version = e.model_version;
    scratch.time_ms = e.time_ms;
    scratch.width = e.width;
    scratch.height = e.height;
    scratch.detections.assign(e.detections.begin(), e.detections.end());
    apply(scratch);
    next(scratch);
  };
}

uint64_t ClassMapping::renamed(std::string_view from) const {
  auto it = rename_.find(from);
  return it == rename_.end() ? 0 : it->second.count;
}

uint64_t ClassMapping::dropped(std::string_view name) const {
  auto it = ignore_.find(name);
  return it == ignore_.end() ? 0 : it->second;
}

std::optional<std::string_view> ClassMapping::resolve(std::string_view name) const {
  if (ignore_.count(name)) return std::nullopt;
  auto it = rename_.find(name);
  return it == rename_.end() ? name : std::string_view(it->second.to);
}

core::ClassNaming ClassMapping::naming() const {
  core::ClassNaming n;
  for (const auto& [from, r] : rename_) n.class_map.emplace(from, r.to);
  for (const auto& [name, count] : ignore_) n.class_map.emplace(name, std::string());
  return n;
}

}  // namespace predwatch::daemon
