// Regression of the config_loader fuzz finding (docs/FUZZING.md): a value with bytes that are
// not UTF-8 was accepted, and render_yaml then wrote U+FFFD for them, so the rendered
// configuration loaded back into different Settings. Such a file is now an error naming the
// line and column of the first bad byte.
#include <gtest/gtest.h>

#include <string>

#include "config/loader.h"

namespace predwatch::config {
namespace {

TEST(LoaderUtf8, InvalidUtf8IsAnErrorWithItsPosition) {
  const std::string text = "kafka:\n  brokers: \"ab\xff\xfe\"\n";
  const LoadResult r = load_config_string(text, "c.yaml");
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].line, 2);
  EXPECT_EQ(r.errors[0].column, 15);  // "  brokers: \"ab" is 14 characters
  EXPECT_NE(r.errors[0].message.find("not valid UTF-8 (byte 0xff)"), std::string::npos);
}

TEST(LoaderUtf8, OverlongAndSurrogateFormsAreRejected) {
  EXPECT_FALSE(load_config_string("kafka:\n  group_id: \"\xc0\xaf\"\n", "c.yaml").ok());
  EXPECT_FALSE(load_config_string("kafka:\n  group_id: \"\xed\xa0\x80\"\n", "c.yaml").ok());
}

TEST(LoaderUtf8, WellFormedUtf8RoundTrips) {
  const LoadResult r =
      load_config_string("kafka:\n  group_id: \"caf\xc3\xa9-\xf0\x9f\x93\xb7\"\n", "c.yaml");
  ASSERT_TRUE(r.ok()) << r.error_text();
  EXPECT_EQ(r.settings->kafka.group_id, "caf\xc3\xa9-\xf0\x9f\x93\xb7");
  const LoadResult again = load_config_string(render_yaml(*r.settings, false), "r.yaml");
  ASSERT_TRUE(again.ok()) << again.error_text();
  EXPECT_EQ(*again.settings, *r.settings);
}

}  // namespace
}  // namespace predwatch::config
