// load_yaml_documents (config/yaml_documents.h): where a YAML stream is cut into documents,
// that the marks keep the stream's line numbers, and that the input on which yaml-cpp 0.7's
// LoadAll never returns (docs/FUZZING.md, finding 5) now ends with a syntax error.
#include "config/yaml_documents.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

namespace predwatch::config {
namespace {

TEST(YamlDocuments, OneDocumentWithOrWithoutMarkers) {
  for (const char* text : {"a: 1\n", "---\na: 1\n", "--- \na: 1\n...\n", "# c\n---\na: 1\n",
                           "%YAML 1.2\n---\na: 1\n", "a: 1\n...\n# trailing comment\n"}) {
    SCOPED_TRACE(text);
    const auto docs = load_yaml_documents(text, 2);
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_EQ(docs[0]["a"].as<int>(), 1);
  }
}

TEST(YamlDocuments, MarkersAreCutOnlyAtColumnZero) {
  // An indented "---" is content of the block scalar; "----" and "---x" are not markers.
  const auto docs = load_yaml_documents("a: |\n  ---\n  b\nc: ----\nd: ---x\n", 2);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0]["a"].as<std::string>(), "---\nb\n");
  EXPECT_EQ(docs[0]["c"].as<std::string>(), "----");
  EXPECT_EQ(docs[0]["d"].as<std::string>(), "---x");
}

TEST(YamlDocuments, SecondDocumentKeepsItsStreamLine) {
  // Lines (0-based): 0 "a: 1", 1 "---", 2 "# c", 3 "b: 2".
  const auto docs = load_yaml_documents("a: 1\n---\n# c\nb: 2\n", 2);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[1]["b"].as<int>(), 2);
  EXPECT_EQ(docs[1].Mark().line, 3);
  EXPECT_EQ(docs[1].Mark().column, 0);
}

TEST(YamlDocuments, ContentAfterAnEndMarkerIsASecondDocument) {
  const auto docs = load_yaml_documents("a: 1\n...\nb: 2\n", 2);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[1]["b"].as<int>(), 2);
  EXPECT_EQ(docs[1].Mark().line, 2);
}

TEST(YamlDocuments, EmptyPiecesYieldNoDocument) {
  EXPECT_TRUE(load_yaml_documents("", 2).empty());
  EXPECT_TRUE(load_yaml_documents("---\n---\n# only a comment\n...\n", 2).empty());
}

TEST(YamlDocuments, StopsAtMaxDocuments) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "---\nk: " + std::to_string(i) + "\n";
  const auto docs = load_yaml_documents(text, 2);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0]["k"].as<int>(), 0);
  EXPECT_EQ(docs[1]["k"].as<int>(), 1);
  EXPECT_EQ(load_yaml_documents(text, 5).size(), 5u);
}

TEST(YamlDocuments, RunsOfBareMarkersAreNotParsed) {
  // Parsing each of these 100,000 empty pieces with its line offset in front would cost
  // ~5e9 bytes of newlines; skipped, the one document is found at its line.
  std::string text;
  for (int i = 0; i < 100'000; ++i) text += i % 2 ? "---\n" : "...\n";
  text += "%YAML 1.2\n---\na: 1\n";
  const auto docs = load_yaml_documents(text, 2);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0]["a"].as<int>(), 1);
  EXPECT_EQ(docs[0].Mark().line, 100'002);
}

TEST(YamlDocuments, SyntaxErrorCarriesTheStreamLine) {
  try {
    load_yaml_documents("a: 1\n---\nb: [1, 2\n", 2);
    FAIL() << "expected a YAML::Exception";
  } catch (const YAML::Exception& e) {
    // The flow sequence opened on line 2 (0-based) is unterminated at the end of input.
    EXPECT_GE(e.mark.line, 2);
  }
}

TEST(YamlDocuments, InputsOnWhichLoadAllHangsEnd) {
  // The fuzzer's inputs (finding 5): a tag, stray commas, and a document marker; with
  // LoadAll each one allocates forever. Here each must return or throw (ctest's timeout
  // fails a hang).
  const std::string commas(36, ',');
  for (const std::string& text :
       {"!4YAars" + commas + "erExc", "!4YAars" + commas + "erExc\n---\na: 1\n",
        "---\n!des" + commas + "\n---ry", "a: 1\n---\n!x" + commas + "y\n"}) {
    SCOPED_TRACE(text);
    try {
      const auto docs = load_yaml_documents(text, 2);
      EXPECT_LE(docs.size(), 2u);
    } catch (const YAML::Exception&) {
    }
  }
}

}  // namespace
}  // namespace predwatch::config
