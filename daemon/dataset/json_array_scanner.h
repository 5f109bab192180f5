// Streams a JSON file whose top level is an object or an array and hands the elements of
// selected arrays to a callback in batches, without ever holding the whole file in memory.
//
// Why: simdjson's On-Demand parser needs the whole document in one buffer, and COCO files
// reach gigabytes. The scanner only tracks strings and bracket depth (no value parsing), cuts
// the selected arrays into batches of whole elements (about `batch_bytes` each) and presents
// each batch as a small padded JSON array "[e0,e1,...]" that simdjson parses in one go.
// Memory: the read buffer (grows only to fit the largest single element) plus one batch.
//
// Top-level structure errors (not JSON, unbalanced brackets, truncated file) are fatal and
// reported with the file name and byte offset. Errors inside an element are left to the
// consumer's parser: the batch carries each element's offsets so that it can re-parse them
// one by one and skip the bad ones.
// Thread-safety: none needed, scan() is a free-standing call.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace predwatch::daemon {

struct JsonArrayBatch {
  std::string_view key;      // the top-level member name, "" for a top-level array
  uint64_t first_index = 0;  // index of the batch's first element within its array
  std::string_view json;     // "[e0,...,en]", followed by SIMDJSON_PADDING readable bytes
  std::span<const uint32_t> element_begin;  // offsets of each element within json
  std::span<const uint32_t> element_end;    // one past each element's last byte

  simdjson::padded_string_view padded() const {
    return simdjson::padded_string_view(json.data(), json.size(),
                                        json.size() + simdjson::SIMDJSON_PADDING);
  }
};

struct JsonScanResult {
  std::string error;                  // fatal structure problem, empty when fine
  bool top_level_array = false;       // the document is an array (selected by key "")
  std::vector<std::string> arrays;    // the selected keys that were found with array values
  std::vector<uint64_t> array_sizes;  // element count of each, same order as `arrays`
};

// Scans `file`; for each top-level member whose name is in `keys` and whose value is an array
// (or for the top-level array when `keys` contains ""), calls on_batch for consecutive batches
// of its elements. A selected member whose value is not an array is a fatal error.
JsonScanResult scan_json_arrays(const std::filesystem::path& file,
                                std::span<const std::string_view> keys,
                                const std::function<void(const JsonArrayBatch&)>& on_batch,
                                size_t batch_bytes = size_t{1} << 20);

}  // namespace predwatch::daemon
