#include "daemon/dataset/json_array_scanner.h"

#include <gtest/gtest.h>

#include "tests/daemon/dataset/import_test_util.h"

namespace predwatch::daemon::testing {
namespace {

struct Collected {
  std::vector<std::string> elements;
  std::vector<std::string> keys;
  std::vector<uint64_t> first_indices;
};

JsonScanResult scan(const std::filesystem::path& f, std::vector<std::string_view> keys,
                    Collected& c, size_t batch_bytes) {
  return scan_json_arrays(
      f, keys,
      [&](const JsonArrayBatch& b) {
        EXPECT_EQ(b.json.front(), '[');
        EXPECT_EQ(b.json.back(), ']');
        c.first_indices.push_back(b.first_index);
        for (size_t i = 0; i < b.element_begin.size(); ++i) {
          c.elements.emplace_back(
              b.json.substr(b.element_begin[i], b.element_end[i] - b.element_begin[i]));
          c.keys.emplace_back(b.key);
        }
        // Each batch is valid JSON for simdjson.
        simdjson::dom::parser p;
        simdjson::dom::element doc;
        EXPECT_EQ(p.parse(b.json.data(), b.json.size(), false).get(doc), simdjson::SUCCESS)
            << b.json;
        EXPECT_EQ(doc.get_array().size(), b.element_begin.size());
      },
      batch_bytes);
}

TEST(JsonArrayScanner, StringsWithBracketsEscapesAndNesting) {
  TempDir t;
  auto f = t.write("a.json", R"( {"skip": {"x": "]}\"[", "y": [1, [2, {"z": "}"}]]},
    "list" : [ {"a": "\\\"]"} , [1,2,[3]], "s]t\"r", 12.5e3, true, null, {"deep": [[[[]]]]} ],
    "other": [1, 2] } )");
  Collected c;
  auto r = scan(f, {"list"}, c, 1);  // one element per batch
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(c.elements,
            (std::vector<std::string>{R"({"a": "\\\"]"})", "[1,2,[3]]", R"("s]t\"r")", "12.5e3",
                                      "true", "null", R"({"deep": [[[[]]]]})"}));
  EXPECT_EQ(r.arrays, (std::vector<std::string>{"list"}));
  EXPECT_EQ(r.array_sizes, (std::vector<uint64_t>{7}));
  EXPECT_EQ(c.first_indices.size(), 7u);
  EXPECT_EQ(c.first_indices[3], 3u);
  Collected whole;
  r = scan(f, {"list", "other"}, whole, 1 << 20);
  ASSERT_TRUE(r.error.empty());
  EXPECT_EQ(whole.elements.size(), 9u);
  EXPECT_EQ(whole.first_indices, (std::vector<uint64_t>{0, 0}));
}

TEST(JsonArrayScanner, ElementsLargerThanTheReadBufferAndTopLevelArrays) {
  TempDir t;
  std::string big(3 << 20, 'x');  // 3 MB string: the 1 MB read buffer must grow
  auto f = t.write("b.json", "[{\"s\": \"" + big + "\"}, {\"n\": 1}, []]");
  Collected c;
  auto r = scan(f, {""}, c, 1000);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_TRUE(r.top_level_array);
  ASSERT_EQ(c.elements.size(), 3u);
  EXPECT_EQ(c.elements[0].size(), big.size() + 9);
  EXPECT_EQ(c.elements[1], "{\"n\": 1}");
  EXPECT_EQ(c.elements[2], "[]");
}

TEST(JsonArrayScanner, StructureErrorsNameFileAndByte) {
  TempDir t;
  struct Case {
    std::string text, expect;
  } cases[] = {
      {R"({"list": [1, 2)", "unexpected end of file"},
      {R"({"list": [1, 2]] })", "expected ',' or '}'"},
      {R"({"list": [{"a": 1]]})", "unbalanced ']'"},
      {R"({"list": 5})", "member \"list\" is not an array"},
      {R"({"a": "unterminated})", "unterminated string"},
      {R"({"list": []} x)", "trailing data"},
      {R"(hello)", "not a JSON object or array"},
  };
  for (const auto& c : cases) {
    auto f = t.write("bad.json", c.text);
    Collected col;
    auto r = scan(f, {"list"}, col, 1 << 20);
    EXPECT_NE(r.error.find("bad.json: byte "), std::string::npos) << c.text << " -> " << r.error;
    EXPECT_NE(r.error.find(c.expect), std::string::npos) << c.text << " -> " << r.error;
  }
}

}  // namespace
}  // namespace predwatch::daemon::testing
