// JsonWriter: builds one compact JSON document by appending to a string, for the CLI's
// `--json` output. Commas and string escaping are handled here; the caller is responsible
// for balanced begin/end calls and for calling key() before each member of an object.
//
//   JsonWriter w;
//   w.begin_object().key("images").value(128).key("name").value("coco128").end_object();
//   std::cout << w.str() << '\n';
//
// Numbers: integers exactly; doubles in the shortest form that reads back to the same value
// (std::to_chars), NaN and infinities as null (JSON has no spelling for them).
// Not thread-safe; a value type.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace predwatch::daemon {

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  // REQUIRES: inside an object, before each member's value.
  JsonWriter& key(std::string_view k);

  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(bool b);
  JsonWriter& value(double d);
  template <std::integral T>
  requires(!std::same_as<T, bool>) JsonWriter& value(T v) {
    separate();
    out_ += std::to_string(v);
    return *this;
  }
  JsonWriter& null();
  // Appends an already-serialised JSON value (e.g. protobuf's JSON) as the next value.
  JsonWriter& raw(std::string_view json);

  const std::string& str() const { return out_; }

 private:
  void separate();
  void open(char c);
  void close(char c);

  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

// `s` as a quoted JSON string.
std::string json_quote(std::string_view s);

}  // namespace predwatch::daemon
