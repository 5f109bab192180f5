// A tiny archive format that lets one fuzzer input describe a folder of files, for the
// importers of folder datasets (YOLO, Pascal VOC, Supervisely) and the two-file coco-results
// import. Written by tests/fuzz/make_archive.py (seeds) and read here.
//
// Format: a sequence of entries, nothing else (no magic, no count):
//   entry := name_len (1 byte) | name (name_len bytes) | data_len (2 bytes, little-endian) |
//            data (data_len bytes)
// The last entry may be cut short: a missing name or size ends the archive, missing data
// bytes shorten its data to what is left. Every input is therefore a valid archive.
//
// Names are '/'-separated paths relative to the extraction folder. Before use they are made
// safe: bytes other than [A-Za-z0-9._-/] become '_', empty, "." and ".." components are
// dropped, at most kMaxDepth components are kept; a name left empty is skipped. A name ending
// in '/' creates a folder (its data is ignored). An entry whose path cannot be created
// (e.g. a file where a folder of the same name already exists) is skipped; a later entry with
// the name of an earlier file replaces it.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace predwatch::fuzz {

struct ArchiveEntry {
  std::string name;  // sanitised; ends with '/' for a folder
  std::string_view data;
};

inline constexpr size_t kMaxDepth = 6;

// Sanitised form of an entry name (see above); empty when nothing is left.
inline std::string sanitise_archive_name(std::string_view raw) {
  const bool folder = !raw.empty() && raw.back() == '/';
  std::string out;
  size_t depth = 0;
  size_t i = 0;
  while (i <= raw.size() && depth < kMaxDepth) {
    size_t j = raw.find('/', i);
    if (j == std::string_view::npos) j = raw.size();
    std::string part;
    for (char c : raw.substr(i, j - i)) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
      part.push_back(ok ? c : '_');
    }
    if (!part.empty() && part != "." && part != "..") {
      if (!out.empty()) out.push_back('/');
      out += part;
      ++depth;
    }
    i = j + 1;
  }
  if (folder && !out.empty()) out.push_back('/');
  return out;
}

// Splits `data` into entries (names sanitised, empty names dropped).
inline std::vector<ArchiveEntry> parse_archive(const uint8_t* data, size_t size) {
  std::vector<ArchiveEntry> out;
  size_t at = 0;
  while (at < size) {
    const size_t name_len = data[at++];
    if (size - at < name_len) break;
    const std::string_view raw(reinterpret_cast<const char*>(data + at), name_len);
    at += name_len;
    if (size - at < 2) break;
    size_t len = size_t{data[at]} | (size_t{data[at + 1]} << 8);
    at += 2;
    if (len > size - at) len = size - at;
    const std::string_view bytes(reinterpret_cast<const char*>(data + at), len);
    at += len;
    std::string name = sanitise_archive_name(raw);
    if (!name.empty()) out.push_back({std::move(name), bytes});
  }
  return out;
}

// Writes the entries below `root` (created; emptied first). Returns the files written
// (relative names), in archive order, without duplicates; unwritable entries are skipped.
inline std::vector<std::string> extract_archive(const std::vector<ArchiveEntry>& entries,
                                                const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::remove_all(root, ec);
  fs::create_directories(root, ec);
  std::vector<std::string> written;
  for (const ArchiveEntry& e : entries) {
    const fs::path p = root / e.name;
    if (e.name.back() == '/') {
      fs::create_directories(p, ec);
      continue;
    }
    fs::create_directories(p.parent_path(), ec);
    if (ec || fs::is_directory(p, ec)) continue;
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    if (!out) continue;
    out.write(e.data.data(), static_cast<std::streamsize>(e.data.size()));
    if (!out) continue;
    bool seen = false;
    for (const auto& w : written) seen |= w == e.name;
    if (!seen) written.push_back(e.name);
  }
  return written;
}

// A scratch folder for one fuzz target in this process: $TMPDIR/predwatch_fuzz_<tag>_<pid>.
inline std::filesystem::path scratch_folder(std::string_view tag) {
  return std::filesystem::temp_directory_path() /
         ("predwatch_fuzz_" + std::string(tag) + "_" + std::to_string(::getpid()));
}

}  // namespace predwatch::fuzz
