// Secret references and tokens as predwatchd reads them at start: the value from the
// environment or a file (one trailing newline removed), and error messages that name the
// source but never hold the value.
#include "daemon/app/secret_ref.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

#include "tests/support/predwatchd_process.h"

namespace predwatch::daemon {
namespace {

TEST(SecretRef, PlainValuesPassThrough) {
  std::string error;
  EXPECT_EQ(resolve_secret_value("plain", error), "plain");
  EXPECT_EQ(resolve_secret_value("", error), "");
}

TEST(SecretRef, EnvironmentAndFileReferences) {
  testing::TempDir dir;
  std::string error;
  ASSERT_EQ(setenv("PREDWATCH_TEST_SECRET", "s3cret-value", 1), 0);
  EXPECT_EQ(resolve_secret_value("${env:PREDWATCH_TEST_SECRET}", error), "s3cret-value");
  const auto file = dir.write("pw", "from-file\r\n");
  EXPECT_EQ(resolve_secret_value("${file:" + file.string() + "}", error), "from-file");
  const auto two_lines = dir.write("pw2", "line1\nline2\n");
  EXPECT_EQ(resolve_secret_value("${file:" + two_lines.string() + "}", error), "line1\nline2");

  ASSERT_EQ(unsetenv("PREDWATCH_TEST_SECRET"), 0);
  EXPECT_FALSE(resolve_secret_value("${env:PREDWATCH_TEST_SECRET}", error));
  EXPECT_EQ(error, "environment variable PREDWATCH_TEST_SECRET is unset or empty");
  EXPECT_FALSE(resolve_secret_value("${file:/nonexistent/pw}", error));
  EXPECT_EQ(error, "cannot read /nonexistent/pw");
  const auto empty = dir.write("empty", "\n");
  EXPECT_FALSE(resolve_secret_value("${file:" + empty.string() + "}", error));
  EXPECT_EQ(error, empty.string() + " is empty");
}

TEST(SecretRef, TokensAreLongPrintableAndReportedWithoutTheirValue) {
  testing::TempDir dir;
  std::string error, warning;
  EXPECT_EQ(read_token(std::nullopt, std::nullopt, error, warning), "");

  const auto good = dir.write("good", "0123456789abcdef\n");
  ASSERT_EQ(chmod(good.c_str(), 0600), 0);
  EXPECT_EQ(read_token(good.string(), std::nullopt, error, warning), "0123456789abcdef");
  EXPECT_EQ(warning, "");
  EXPECT_FALSE(readable_by_everyone(good.string()));
  EXPECT_FALSE(readable_by_everyone("/nonexistent/key"));
  ASSERT_EQ(chmod(good.c_str(), 0644), 0);
  EXPECT_TRUE(readable_by_everyone(good.string()));
  EXPECT_TRUE(read_token(good.string(), std::nullopt, error, warning));
  EXPECT_NE(warning.find("readable by every user"), std::string::npos) << warning;

  const auto short_token = dir.write("short", "0123456789abcde");
  EXPECT_FALSE(read_token(short_token.string(), std::nullopt, error, warning));
  EXPECT_NE(error.find("shorter than 16"), std::string::npos) << error;
  EXPECT_EQ(error.find("0123456789abcde"), std::string::npos) << error;

  ASSERT_EQ(setenv("PREDWATCH_TEST_TOKEN", "has a space in it 0123", 1), 0);
  EXPECT_FALSE(read_token(std::nullopt, std::string("PREDWATCH_TEST_TOKEN"), error, warning));
  EXPECT_EQ(error, "$PREDWATCH_TEST_TOKEN: the token may hold printable ASCII without spaces only");
  ASSERT_EQ(setenv("PREDWATCH_TEST_TOKEN", "abcdefghijklmnopq", 1), 0);
  EXPECT_EQ(read_token(std::nullopt, std::string("PREDWATCH_TEST_TOKEN"), error, warning),
            "abcdefghijklmnopq");
  ASSERT_EQ(unsetenv("PREDWATCH_TEST_TOKEN"), 0);
}

}  // namespace
}  // namespace predwatch::daemon
