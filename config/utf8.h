// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF),
// the one decoder the project's text checks share: the configuration loader reports where a
// file stops being UTF-8, the web layer replaces what a client sent before echoing it in JSON.
// (Decoders of events and datasets check whole names with simdjson::validate_utf8, which
// is faster but does not say where.)
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace predwatch::config {

// Offset of the first byte of `text` that does not start a well-formed sequence (or starts
// one that is cut short or broken), or npos when all of `text` is well-formed.
size_t first_invalid_utf8(std::string_view text);

// `text` with every byte that is not part of a well-formed sequence replaced by U+FFFD.
std::string replace_invalid_utf8(std::string_view text);

}  // namespace predwatch::config
