// The documents of a YAML stream, parsed one at a time.
//
// yaml-cpp 0.7's YAML::LoadAll loops forever, allocating, on some malformed streams (a stray
// ',' after a tag with a document marker elsewhere in the stream: jbeder/yaml-cpp#1040,
// fixed upstream after 0.7), while YAML::Load of the same text stops with a syntax error. So
// the stream is cut into documents here, at the lines YAML reserves for that, and each piece
// goes through YAML::Load:
//   - a document start marker: a line beginning with "---" followed by a space, a tab or the
//     end of the line; the piece starts at the marker (and at the directive lines, "%...",
//     right before it, which belong to the document the marker opens);
//   - a document end marker: a line beginning with "..." likewise; the piece ends after it.
// Inside any document, such a line can be nothing else (YAML 1.2, "document markers"), so
// the cut never splits a document. Each piece is parsed with as many newlines in front of it
// as lines precede it, so every Mark (and every YAML::Exception's mark) holds the line in
// the whole stream.
//
// Contract: returns the documents that are neither empty nor null, from at most
// `max_documents` pieces with content (a line that is not blank, a comment or a bare
// marker; other pieces are not parsed): a caller that accepts one document asks for two and
// reports the second, and a stream of many markers costs one pass. Throws YAML::Exception
// (with its mark in stream lines) for the first piece that does not parse.
#ifndef PREDWATCH_CONFIG_YAML_DOCUMENTS_H_
#define PREDWATCH_CONFIG_YAML_DOCUMENTS_H_

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string_view>
#include <vector>

namespace predwatch::config {

std::vector<YAML::Node> load_yaml_documents(std::string_view text, size_t max_documents);

}  // namespace predwatch::config

#endif  // PREDWATCH_CONFIG_YAML_DOCUMENTS_H_
