// Decodes JSON messages of another shape (a detector's own output) into a core::Event, as
// an EventMapping (event_mapping.h) says where each field is. simdjson's DOM parser: paths
// are looked up in any order.
//
// Per field:
//   - stream, frame_id, model name/version, image uri: a string; an integer is taken as its
//     decimal text (COCO's numeric image_id); a constant; or the message's key, topic or
//     "<partition>:<offset>" (MessageMeta);
//   - timestamp: an RFC 3339 string, or an epoch number (also as a string) in
//     timestamp_unit; `auto` tells s / ms / µs / ns apart by size (< 1e11 s, < 1e14 ms,
//     < 1e17 µs, else ns; integers exactly, fractions rounded to the millisecond); or the
//     message timestamp;
//   - image width/height: a whole number of pixels, or a constant;
//   - detections (rows): a list of objects, or of lists read by index paths ("4" of
//     [x1, y1, x2, y2, conf, cls]); null = none; their class_name (a string),
//     class_id (an integer, named by class_names when the mapping has them: an index it
//     lacks is bad_value), confidence (a number), box: 4 numbers (a longer list: its first
//     4, e.g. [x1, y1, x2, y2, conf, cls]) or an object with the 4 box_keys, in box_format
//     (xywh and cxcywh become corners) and box_units;
//   - columns: class_name/class_id/confidence/box are parallel lists from the root; each
//     mapped list present must be as long as the boxes' (bad_value otherwise); the boxes
//     may also be one flat list of numbers, 4 per detection (a Triton tensor's data);
//   - a path step "key[field=value]" is the first object of the list `key` whose `field` is
//     the string value (Triton's outputs by name).
// A required frame field (stream, frame_id, timestamp) or a detections list the payload
// lacks is missing_field naming the mapping's source ("stream: nothing at camera.id"), so a
// typo in the mapping shows on the first event instead of as silent empty frames. Then
// EventNormalizer validates and normalises as for PredictionEvents.
//
// unknown_fields(): keys of the root object and of each detection object that no mapped
// path reads ("detections[].track_id" with the list's path as configured).
//
// Strings in the Event point into the parser, the mapping, the MessageMeta given to
// decode() or buffers owned here: valid until the next decode(). Not thread-safe.
#pragma once

#include <simdjson.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/ingest/event_decoder.h"
#include "daemon/ingest/event_mapping.h"
#include "daemon/ingest/event_normalizer.h"

namespace predwatch::daemon {

// What a Kafka message carries beside its payload (mapping sources @key, @timestamp,
// @topic, @offset). Files have none of them: key empty, timestamp and offset -1.
struct MessageMeta {  // members initialized: designated initializers may leave any out
  std::string_view topic{};
  std::string_view key{};
  bool has_key = false;
  int64_t timestamp_ms = -1;  // -1: none
  int32_t partition = -1;
  int64_t offset = -1;  // -1: none
};

class MappedJsonDecoder final : public EventDecoder {
 public:
  explicit MappedJsonDecoder(EventMapping mapping);
  // Holds views into its own mapping: neither copied nor moved.
  MappedJsonDecoder(const MappedJsonDecoder&) = delete;
  MappedJsonDecoder& operator=(const MappedJsonDecoder&) = delete;

  const EventMapping& mapping() const { return mapping_; }

  // The message the next decode() reads (its views must outlive the decoded Event).
  void set_message(const MessageMeta& meta) { meta_ = meta; }

  DecodeResult decode(std::string_view payload, core::Event& out) override;
  std::span<const std::string> unknown_fields() const override { return unknown_; }

 private:
  using Element = simdjson::dom::element;
  enum Text : uint8_t { kStream, kFrameId, kModelName, kModelVersion, kImageUri, kTextCount };

  // The element at `path` below `from`; false when the payload has nothing there.
  static bool locate(Element from, const std::vector<std::string>& path, Element& out);
  // As locate, and false for null too.
  static bool find(Element from, const std::vector<std::string>& path, Element& out);
  DecodeResult read_text(const FieldSource& source, Element root, std::string_view name,
                         bool required, Text slot, std::string_view& out);
  DecodeResult read_timestamp(Element root, core::Event& out);
  DecodeResult read_size(const FieldSource& source, Element root, std::string_view name,
                         uint32_t& out);
  DecodeResult read_rows(Element root, core::Event& out);
  DecodeResult read_columns(Element root, core::Event& out);
  // One detection: `at(source, element)` finds each field's element for detection `index`.
  template <typename At>
  // `flat_boxes`: `at` gives, for the box, the one flat list of every detection's numbers
  // (4 per detection) instead of the detection's box.
  DecodeResult read_detection(core::Event& out, size_t index, At at, bool flat_boxes);
  DecodeResult read_box(Element v, size_t index, bool flat_boxes, core::Box& box);
  DecodeResult set_class_id(Element v, size_t index, core::NamedDetection& d);
  void note_unknown_keys(Element object, const std::vector<std::string_view>& known,
                         std::string_view scope);
  DecodeResult fail_missing(std::string_view name, const FieldSource& source);

  EventMapping mapping_;
  MessageMeta meta_;
  simdjson::dom::parser parser_;
  std::vector<char> buffer_;  // payload + padding
  std::string texts_[kTextCount];
  std::vector<std::string_view> root_keys_;       // first keys of the frame-level paths
  std::vector<std::string_view> detection_keys_;  // ... of the detection paths (rows)
  std::string detection_scope_;                   // "detections[]." as configured
  std::vector<std::string> unknown_;
  EventNormalizer normalizer_;
};

}  // namespace predwatch::daemon
