// Percent-decoding, query strings and path segments as the web API reads them.
#include "daemon/web/web_request.h"

#include <gtest/gtest.h>

namespace predwatch::daemon {
namespace {

using Query = std::vector<std::pair<std::string, std::string>>;

TEST(WebRequest, PercentDecodeAcceptsEscapesAndRejectsMalformedOnes) {
  std::string out;
  ASSERT_TRUE(percent_decode("a%2Fb%20c%25+d", out));
  EXPECT_EQ(out, "a/b c%+d");  // '+' is literal outside a query
  ASSERT_TRUE(percent_decode("%c3%A9", out));
  EXPECT_EQ(out, "\xc3\xa9");
  for (const char* bad : {"%", "%2", "a%zz", "%g0", "%00", "x%0"}) {
    EXPECT_FALSE(percent_decode(bad, out)) << bad;
  }
}

TEST(WebRequest, ParseQuerySplitsDecodesAndKeepsOrder) {
  Query q;
  std::string error;
  ASSERT_TRUE(parse_query("a=1&b=x%20y+z&c&&class=k1&class=k%2F2&=v", q, error)) << error;
  EXPECT_EQ(
      q,
      (Query{{"a", "1"}, {"b", "x y z"}, {"c", ""}, {"class", "k1"}, {"class", "k/2"}, {"", "v"}}));
  ASSERT_TRUE(parse_query("", q, error));
  EXPECT_TRUE(q.empty());
  ASSERT_TRUE(parse_query("k=a=b", q, error));  // the first '=' splits
  EXPECT_EQ(q, (Query{{"k", "a=b"}}));
  EXPECT_FALSE(parse_query("limit=%zz", q, error));
  EXPECT_EQ(error, "parameter 'limit': malformed percent-escape");
  EXPECT_FALSE(parse_query("li%mit=1", q, error));
  EXPECT_NE(error.find("malformed percent-escape in query parameter name"), std::string::npos);
  EXPECT_FALSE(parse_query("stream=a%00b", q, error));  // no NUL in a name
}

TEST(WebRequest, SplitPathDropsEmptySegments) {
  EXPECT_EQ(split_path("/api/v1//streams/"), (std::vector<std::string>{"api", "v1", "streams"}));
  EXPECT_TRUE(split_path("/").empty());
  EXPECT_EQ(split_path("a b/c%2F"), (std::vector<std::string>{"a b", "c%2F"}));  // no decoding
}

TEST(WebRequest, ErrorResponsesAreJsonWithEscapedMessages) {
  EXPECT_NE(error_response(404, "NOT_FOUND", "no '\xff'").body.find("no '\xef\xbf\xbd'"),
            std::string::npos);
  const WebResponse r = error_response(400, "INVALID_ARGUMENT", "bad \"x\"\n");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body,
            "{\"error\": {\"status\": 400, \"code\": \"INVALID_ARGUMENT\", \"message\": \"bad "
            "\\\"x\\\"\\n\"}}\n");
}

}  // namespace
}  // namespace predwatch::daemon
