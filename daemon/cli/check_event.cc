#include "daemon/cli/check_event.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "config/loader.h"
#include "core/frame_builder.h"
#include "daemon/app/engine_config.h"
#include "daemon/cli/file_event_decoder.h"
#include "daemon/cli/text_table.h"
#include "daemon/common/json_writer.h"
#include "daemon/ingest/rfc3339.h"

namespace predwatch::daemon {
namespace {

// One event's text and the line it starts on.
struct Sample {
  std::string text;
  size_t line = 0;
};

// Events one per line; a file whose first line is not a JSON object on its own but whose
// whole content is (a pretty-printed event) is one event.
std::vector<Sample> split_samples(const std::string& content, FileEventDecoder& decoder) {
  std::vector<Sample> lines;
  std::istringstream in(content);
  size_t n = 0;
  for (std::string l; std::getline(in, l);) {
    ++n;
    if (l.find_first_not_of(" \t\r") != std::string::npos) lines.push_back({l, n});
  }
  if (lines.size() > 1) {
    core::Event e;
    if (decoder.decode(lines.front().text, lines.front().line, e).error ==
            DecodeError::kUndecodable &&
        decoder.decode(content, lines.front().line, e).error != DecodeError::kUndecodable) {
      return {{content, lines.front().line}};
    }
  }
  return lines;
}

// A float as the shortest decimal that reads back as the same float (no double noise).
std::string float_text(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", double(v));
  for (int digits = 1; digits <= 9; ++digits) {
    char shorter[32];
    std::snprintf(shorter, sizeof shorter, "%.*g", digits, double(v));
    if (std::strtof(shorter, nullptr) == v) return shorter;
  }
  return buf;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// What the configuration makes of one detection.
struct DetectionVerdict {
  std::optional<std::string> counted_as;  // nullopt: the class map drops it
  const char* left_out = nullptr;         // "class_map", "min_confidence" or null
};

class Checker {
 public:
  Checker(const EngineConfig& engine, int64_t now_ms) : engine_(engine), now_ms_(now_ms) {}

  // Explains sample `index`; returns whether it is accepted.
  bool check(const Sample& sample, size_t index, FileEventDecoder& decoder, bool json,
             std::ostream& out) {
    core::Event e;
    const DecodeResult r = decoder.decode(sample.text, sample.line, e);
    bool accepted = r.ok();
    std::string reason = r.ok() ? "" : std::string(decode_error_name(r.error));
    std::string message = r.ok() ? "" : std::string(r.message);
    std::optional<StreamConfig> stream;
    std::vector<std::string> notes;
    if (r.ok()) {
      stream = engine_.options.stream_config(e.stream);
      if (!stream) {
        accepted = false;
        reason = "unknown_stream";
        message = "stream " + std::string(e.stream) +
                  " is not in streams.entries and there is no \"*\" entry";
      } else if (engine_.options.max_detections_per_event > 0 &&
                 e.detections.size() > engine_.options.max_detections_per_event) {
        accepted = false;
        reason = "too_many_detections";
        message = std::to_string(e.detections.size()) +
                  " detections exceed limits.max_detections_per_event (" +
                  std::to_string(engine_.options.max_detections_per_event) + ")";
      }
      time_notes(e.time_ms, notes);
      if (e.detections.size() > engine_.options.stream.max_detections_per_event) {
        notes.push_back("only the " +
                        std::to_string(engine_.options.stream.max_detections_per_event) +
                        " most confident detections enter the statistics "
                        "(statistics.max_detections_per_event)");
      }
    }
    const float floor = stream && stream->min_confidence ? *stream->min_confidence
                                                         : engine_.options.stream.min_confidence;
    std::vector<DetectionVerdict> verdicts;
    if (stream) {
      std::string scratch;
      for (const core::NamedDetection& d : e.detections) {
        DetectionVerdict v;
        if (auto name = core::counted_name(stream->naming, d, scratch)) {
          v.counted_as = std::string(*name);
        } else {
          v.left_out = "class_map";
        }
        if (!v.left_out && d.confidence != core::kNoConfidence && d.confidence < floor) {
          v.left_out = "min_confidence";
        }
        verdicts.push_back(std::move(v));
      }
    }
    if (json) {
      write_json(sample, index, r.ok(), accepted, reason, message, e, verdicts, notes, decoder,
                 out);
    } else {
      write_text(sample, index, r.ok(), accepted, reason, message, e, verdicts, floor, notes,
                 decoder, out);
    }
    return accepted;
  }

 private:
  // Hints about the event time: the wrong unit, or ahead of this machine's clock.
  void time_notes(int64_t ms, std::vector<std::string>& notes) const {
    constexpr int64_t kYear1973Ms = 100'000'000'000;
    if (ms > 0 && ms < kYear1973Ms) {
      notes.push_back("the time is in " + format_rfc3339_ms(ms).substr(0, 4) +
                      ": a time in seconds sent as timestamp_ms? (x1000: " +
                      format_rfc3339_ms(ms * 1000) + ")");
    }
    const int64_t skew = engine_.options.max_future_skew_ms;
    if (skew > 0 && ms - now_ms_ > skew) {
      std::string note = "the time is " + std::to_string((ms - now_ms_) / 1000) +
                         " s ahead of this machine's clock: rejected as clock_skew when its "
                         "Kafka timestamp is the time it is sent (limits.max_future_skew)";
      if (ms / 1000 > now_ms_ / 2) note += "; microseconds sent as timestamp_ms?";
      notes.push_back(note);
    }
  }

  void write_text(const Sample& sample, size_t index, bool decoded, bool accepted,
                  const std::string& reason, const std::string& message, const core::Event& e,
                  const std::vector<DetectionVerdict>& verdicts, float floor,
                  const std::vector<std::string>& notes, const FileEventDecoder& decoder,
                  std::ostream& out) const {
    out << "event " << index + 1 << " (line " << sample.line
        << "): " << (accepted ? "accepted" : "REJECTED (" + reason + "): " + message) << "\n";
    if (decoded) {
      TextTable head({"field", "value"});
      head.add_row({"stream", std::string(e.stream)});
      head.add_row({"frame_id", std::string(e.frame_id)});
      head.add_row(
          {"time", format_rfc3339_ms(e.time_ms) + " (" + std::to_string(e.time_ms) + " ms)"});
      head.add_row({"image", e.width ? std::to_string(e.width) + " x " + std::to_string(e.height)
                                     : std::string("no size (boxes must be normalized)")});
      if (!e.image_uri.empty()) head.add_row({"image.uri", std::string(e.image_uri)});
      if (!e.model_name.empty() || !e.model_version.empty()) {
        head.add_row({"model", std::string(e.model_name) + " " + std::string(e.model_version)});
      }
      if (floor > 0) head.add_row({"min_confidence", fixed(floor, 3)});
      indent(head.render(), out);
      TextTable dets(
          {"#", "class", "counted as", "confidence", "x_min", "y_min", "x_max", "y_max", "note"});
      for (size_t i = 0; i < e.detections.size(); ++i) {
        const core::NamedDetection& d = e.detections[i];
        const DetectionVerdict* v = i < verdicts.size() ? &verdicts[i] : nullptr;
        std::string sent = !d.class_name.empty() ? std::string(d.class_name)
                                                 : "id " + std::to_string(d.class_index);
        std::string note;
        if (v && v->left_out) {
          note = std::string("left out (") + v->left_out + ")";
        } else if (d.confidence == core::kNoConfidence) {
          note = "no confidence: counted as ground truth";
        }
        dets.add_row({std::to_string(i), sent, v && v->counted_as ? *v->counted_as : "-",
                      d.confidence == core::kNoConfidence ? "-" : fixed(d.confidence, 3),
                      fixed(d.box.x_min, 4), fixed(d.box.y_min, 4), fixed(d.box.x_max, 4),
                      fixed(d.box.y_max, 4), note});
      }
      if (e.detections.empty()) {
        out << "  no detections (an empty frame)\n";
      } else {
        indent(dets.render(), out);
      }
    }
    for (const std::string& field : decoder.unknown_fields()) {
      const std::string_view hint = decoder.field_hint(field);
      out << "  ignored field " << field;
      if (!hint.empty()) out << ": did you mean " << hint << "?";
      out << "\n";
    }
    for (const std::string& note : notes) out << "  note: " << note << "\n";
    out << "\n";
  }

  void write_json(const Sample& sample, size_t index, bool decoded, bool accepted,
                  const std::string& reason, const std::string& message, const core::Event& e,
                  const std::vector<DetectionVerdict>& verdicts,
                  const std::vector<std::string>& notes, const FileEventDecoder& decoder,
                  std::ostream& out) const {
    JsonWriter w;
    w.begin_object();
    w.key("event").value(uint64_t(index + 1)).key("line").value(uint64_t(sample.line));
    w.key("accepted").value(accepted);
    if (accepted) {
      w.key("reason").null().key("message").null();
    } else {
      w.key("reason").value(reason).key("message").value(message);
    }
    if (decoded) {
      w.key("stream").value(e.stream).key("frame_id").value(e.frame_id);
      w.key("time").value(format_rfc3339_ms(e.time_ms)).key("time_ms").value(e.time_ms);
      w.key("width").value(uint64_t(e.width)).key("height").value(uint64_t(e.height));
      w.key("detections").begin_array();
      for (size_t i = 0; i < e.detections.size(); ++i) {
        const core::NamedDetection& d = e.detections[i];
        const DetectionVerdict* v = i < verdicts.size() ? &verdicts[i] : nullptr;
        w.begin_object();
        w.key("class_name").value(d.class_name);
        w.key("class_id");
        d.class_index >= 0 ? w.value(int64_t(d.class_index)) : w.null();
        w.key("counted_as");
        v && v->counted_as ? w.value(*v->counted_as) : w.null();
        w.key("confidence");
        d.confidence == core::kNoConfidence ? w.null() : w.raw(float_text(d.confidence));
        w.key("box").begin_array();
        for (float c : {d.box.x_min, d.box.y_min, d.box.x_max, d.box.y_max}) w.raw(float_text(c));
        w.end_array();
        w.key("left_out");
        v && v->left_out ? w.value(v->left_out) : w.null();
        w.end_object();
      }
      w.end_array();
    }
    w.key("ignored_fields").begin_array();
    for (const std::string& field : decoder.unknown_fields()) {
      w.begin_object().key("field").value(field).key("did_you_mean");
      const std::string_view hint = decoder.field_hint(field);
      hint.empty() ? w.null() : w.value(hint);
      w.end_object();
    }
    w.end_array();
    w.key("notes").begin_array();
    for (const std::string& note : notes) w.value(note);
    w.end_array();
    w.end_object();
    out << w.str() << "\n";
  }

  static void indent(const std::string& block, std::ostream& out) {
    std::istringstream in(block);
    for (std::string l; std::getline(in, l);) out << "  " << l << "\n";
  }

  const EngineConfig& engine_;
  int64_t now_ms_;
};

}  // namespace

int run_check_event(const CheckEventOptions& options, std::ostream& out, std::ostream& err) {
  config::Settings settings;
  if (!options.config.empty()) {
    config::LoadResult loaded = config::load_config_file(options.config);
    if (!loaded.ok()) {
      err << loaded.error_text();
      return 1;
    }
    settings = std::move(*loaded.settings);
  }
  std::string error;
  const std::optional<EngineConfig> engine = make_engine_config(settings, error);
  if (!engine) {
    err << error << "\n";
    return 1;
  }
  std::string content;
  if (options.events == "-") {
    content.assign(std::istreambuf_iterator<char>(std::cin), {});
  } else {
    std::ifstream in(options.events, std::ios::binary);
    if (!in) {
      err << options.events.string() << ": cannot open\n";
      return 1;
    }
    content.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::unique_ptr<FileEventDecoder> decoder =
      FileEventDecoder::create(settings, options.topic, error);
  if (!decoder) {
    err << error << "\n";
    return 1;
  }
  const std::vector<Sample> samples = split_samples(content, *decoder);
  if (decoder->mapped() && !options.json) {
    out << "decoded as messages of topic " << options.topic
        << ", with its event mapping (kafka.mappings)\n\n";
  }
  if (samples.empty()) {
    err << options.events.string() << ": no events\n";
    return 1;
  }
  const int64_t now_ms = options.now_ms >= 0
                             ? options.now_ms
                             : std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
  Checker checker(*engine, now_ms);
  size_t rejected = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (i < options.limit) {
      rejected += !checker.check(samples[i], i, *decoder, options.json, out);
    } else {
      std::ostringstream ignored;
      rejected += !checker.check(samples[i], i, *decoder, true, ignored);
    }
  }
  if (!options.json) {
    out << samples.size() << " event(s), " << samples.size() - rejected << " accepted, " << rejected
        << " rejected";
    if (samples.size() > options.limit) out << " (the first " << options.limit << " shown)";
    out << "\n";
  }
  return rejected == 0 ? 0 : 1;
}

}  // namespace predwatch::daemon
