#include "daemon/dataset/json_array_scanner.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <memory>

namespace predwatch::daemon {
namespace {

constexpr size_t kNone = static_cast<size_t>(-1);

// Scanning is most of the importer's work outside simdjson: find the next interesting byte
// 16 bytes at a time (SSE2 is part of x86-64), byte by byte elsewhere.
template <char... Cs>
const char* find_any(const char* p, const char* e) {
#if defined(__SSE2__)
  while (e - p >= 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i hit = _mm_setzero_si128();
    ((hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, _mm_set1_epi8(Cs)))), ...);
    int mask = _mm_movemask_epi8(hit);
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  while (p < e && ((*p != Cs) && ...)) ++p;
  return p;
}

const char* find_string_special(const char* p, const char* e) { return find_any<'"', '\\'>(p, e); }
const char* find_structural(const char* p, const char* e) {
  return find_any<'"', '{', '[', '}', ']'>(p, e);
}

// A read buffer over a FILE*. Bytes before `keep` (or before `pos` when nothing is kept) may
// be discarded on refill; offsets at or after `keep` stay valid relative to `keep`.
class Reader {
 public:
  explicit Reader(std::FILE* f) : f_(f), buf_(size_t{1} << 20) {}

  // Next byte without consuming it, -1 at end of file.
  int peek() {
    if (pos_ == end_ && !refill()) return -1;
    return static_cast<unsigned char>(buf_[pos_]);
  }
  int get() {
    int c = peek();
    if (c >= 0) ++pos_;
    return c;
  }
  int skip_ws() {
    for (;;) {
      int c = peek();
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return c;
      ++pos_;
    }
  }
  // Consumes a string whose opening quote was consumed. False at end of file.
  bool skip_string() {
    for (;;) {
      if (pos_ == end_ && !refill()) return false;
      const char* p = buf_.data() + pos_;
      const char* e = buf_.data() + end_;
      p = find_string_special(p, e);
      pos_ = p - buf_.data();
      if (p == e) continue;
      ++pos_;
      if (*p == '"') return true;
      if (get() < 0) return false;  // the escaped byte
    }
  }
  // Reads a key string (opening quote consumed) into `out`, escapes kept verbatim.
  bool read_string(std::string& out) {
    out.clear();
    for (;;) {
      int c = get();
      if (c < 0) return false;
      if (c == '"') return true;
      if (c == '\\') {
        int d = get();
        if (d < 0) return false;
        out.push_back('\\');
        c = d;
      }
      out.push_back(static_cast<char>(c));
    }
  }
  // Consumes one JSON value of any kind. Returns an error text or empty.
  std::string skip_value() {
    int c = peek();
    if (c < 0) return "unexpected end of file";
    if (c == '"') {
      ++pos_;
      return skip_string() ? "" : "unterminated string";
    }
    if (c == '{' || c == '[') {
      std::vector<char>& stack = stack_;
      stack.clear();
      for (;;) {
        if (pos_ == end_ && !refill()) return "unexpected end of file inside a value";
        const char* p = find_structural(buf_.data() + pos_, buf_.data() + end_);
        pos_ = p - buf_.data();
        if (pos_ == end_) continue;
        char b = buf_[pos_++];
        switch (b) {
          case '"':
            if (!skip_string()) return "unterminated string";
            break;
          case '{':
          case '[':
            stack.push_back(b);
            break;
          case '}':
          case ']':
            if (stack.empty() || (b == '}') != (stack.back() == '{')) {
              return fmt::format("unbalanced '{}'", b);
            }
            stack.pop_back();
            if (stack.empty()) return "";
            break;
          default:
            break;
        }
      }
    }
    if (c == ',' || c == ']' || c == '}' || c == ':')
      return fmt::format("expected a value, got '{}'", char(c));
    // A scalar: number, true, false, null. Validity is left to the element parser.
    for (;;) {
      int d = peek();
      if (d < 0 || d == ',' || d == ']' || d == '}' || d == ' ' || d == '\n' || d == '\r' ||
          d == '\t' || d == ':') {
        return "";
      }
      if (d == '"' || d == '{' || d == '[') return "malformed scalar";
      ++pos_;
    }
  }

  uint64_t offset() const { return base_ + pos_; }
  size_t pos() const { return pos_; }
  void set_keep(size_t k) { keep_ = k; }
  size_t keep() const { return keep_; }
  const char* data() const { return buf_.data(); }
  bool io_error() const { return std::ferror(f_) != 0; }

 private:
  bool refill() {
    size_t drop = keep_ == kNone ? pos_ : keep_;
    if (drop > 0) {
      std::memmove(buf_.data(), buf_.data() + drop, end_ - drop);
      end_ -= drop;
      pos_ -= drop;
      if (keep_ != kNone) keep_ -= drop;
      base_ += drop;
    }
    if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
    size_t n = std::fread(buf_.data() + end_, 1, buf_.size() - end_, f_);
    end_ += n;
    return n > 0;
  }

  std::FILE* f_;
  std::vector<char> buf_;
  std::vector<char> stack_;  // open brackets of the value being skipped
  size_t pos_ = 0, end_ = 0, keep_ = kNone;
  uint64_t base_ = 0;
};

class Scanner {
 public:
  Scanner(const std::filesystem::path& file, Reader& r, size_t batch_bytes,
          const std::function<void(const JsonArrayBatch&)>& on_batch)
      : file_(file.string()), r_(r), batch_bytes_(batch_bytes), on_batch_(on_batch) {}

  std::string fail(std::string_view what) {
    return fmt::format("{}: byte {}: {}", file_, r_.offset(), what);
  }

  // The array's '[' is next. Delivers its elements in batches.
  std::string stream_array(std::string_view key, uint64_t& count) {
    r_.get();  // '['
    count = 0;
    uint64_t batch_first = 0;
    begins_.clear();
    ends_.clear();
    int c = r_.skip_ws();
    if (c == ']') {
      r_.get();
      return "";
    }
    for (;;) {
      c = r_.skip_ws();
      if (c < 0) return fail(fmt::format("unexpected end of file in array '{}'", key));
      if (r_.keep() == kNone) {
        r_.set_keep(r_.pos());
        batch_first = count;
      }
      uint32_t b = static_cast<uint32_t>(r_.pos() - r_.keep());
      std::string err = r_.skip_value();
      if (!err.empty()) return fail(fmt::format("array '{}' element {}: {}", key, count, err));
      begins_.push_back(b + 1);
      ends_.push_back(static_cast<uint32_t>(r_.pos() - r_.keep()) + 1);
      ++count;
      c = r_.skip_ws();
      if (c < 0) return fail(fmt::format("unexpected end of file in array '{}'", key));
      bool last = c == ']';
      if (!last && c != ',') {
        return fail(
            fmt::format("array '{}': expected ',' or ']' after element {}", key, count - 1));
      }
      if (last || r_.pos() - r_.keep() >= batch_bytes_) flush(key, batch_first);
      r_.get();
      if (last) return "";
    }
  }

  void flush(std::string_view key, uint64_t first) {
    size_t len = ends_.back() - 1;
    batch_.resize(len + 2 + simdjson::SIMDJSON_PADDING);
    batch_[0] = '[';
    std::memcpy(batch_.data() + 1, r_.data() + r_.keep(), len);
    batch_[len + 1] = ']';
    std::memset(batch_.data() + len + 2, 0, simdjson::SIMDJSON_PADDING);
    JsonArrayBatch out;
    out.key = key;
    out.first_index = first;
    out.json = std::string_view(batch_.data(), len + 2);
    out.element_begin = begins_;
    out.element_end = ends_;
    on_batch_(out);
    begins_.clear();
    ends_.clear();
    r_.set_keep(kNone);
  }

 private:
  std::string file_;
  Reader& r_;
  size_t batch_bytes_;
  const std::function<void(const JsonArrayBatch&)>& on_batch_;
  std::vector<char> batch_;
  std::vector<uint32_t> begins_, ends_;
};

}  // namespace

JsonScanResult scan_json_arrays(const std::filesystem::path& file,
                                std::span<const std::string_view> keys,
                                const std::function<void(const JsonArrayBatch&)>& on_batch,
                                size_t batch_bytes) {
  JsonScanResult result;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(file.c_str(), "rb"), &std::fclose);
  if (!f) {
    result.error = fmt::format("{}: cannot open: {}", file.string(), std::strerror(errno));
    return result;
  }
  Reader r(f.get());
  Scanner s(file, r, batch_bytes, on_batch);
  auto selected = [&](std::string_view k) {
    return std::find(keys.begin(), keys.end(), k) != keys.end();
  };
  int c = r.skip_ws();
  if (c == '[') {
    result.top_level_array = true;
    if (selected("")) {
      uint64_t n = 0;
      result.error = s.stream_array("", n);
      result.arrays.emplace_back();
      result.array_sizes.push_back(n);
    } else {
      result.error = r.skip_value();
      if (!result.error.empty()) result.error = s.fail(result.error);
    }
  } else if (c == '{') {
    r.get();
    std::string key;
    bool first = true;
    for (;;) {
      c = r.skip_ws();
      if (c == '}' && first) {
        r.get();
        break;
      }
      if (c != '"') {
        result.error = s.fail("expected a member name");
        return result;
      }
      r.get();
      if (!r.read_string(key)) {
        result.error = s.fail("unterminated member name");
        return result;
      }
      if (r.skip_ws() != ':') {
        result.error = s.fail(fmt::format("expected ':' after \"{}\"", key));
        return result;
      }
      r.get();
      c = r.skip_ws();
      if (selected(key)) {
        if (c != '[') {
          result.error = s.fail(fmt::format("member \"{}\" is not an array", key));
          return result;
        }
        uint64_t n = 0;
        result.error = s.stream_array(key, n);
        if (!result.error.empty()) return result;
        result.arrays.push_back(key);
        result.array_sizes.push_back(n);
      } else {
        std::string err = r.skip_value();
        if (!err.empty()) {
          result.error = s.fail(fmt::format("member \"{}\": {}", key, err));
          return result;
        }
      }
      first = false;
      c = r.skip_ws();
      r.get();
      if (c == '}') break;
      if (c != ',') {
        result.error = s.fail("expected ',' or '}' between members");
        return result;
      }
    }
  } else if (c < 0) {
    result.error = fmt::format("{}: empty file", file.string());
    return result;
  } else {
    result.error = s.fail("not a JSON object or array");
    return result;
  }
  if (result.error.empty() && r.skip_ws() >= 0)
    result.error = s.fail("trailing data after the document");
  if (result.error.empty() && r.io_error())
    result.error = fmt::format("{}: read error", file.string());
  return result;
}

}  // namespace predwatch::daemon
