// config/utf8.h against hand-made byte sequences (RFC 3629, table 3-7 of the Unicode
// standard: the well-formed byte ranges per lead byte).
#include "config/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace predwatch::config {
namespace {

constexpr size_t npos = std::string_view::npos;

TEST(Utf8, FirstInvalidByteIsFoundAtItsOffset) {
  EXPECT_EQ(first_invalid_utf8(""), npos);
  EXPECT_EQ(first_invalid_utf8("plain \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), npos);
  // The extremes of each range are well-formed.
  EXPECT_EQ(first_invalid_utf8("\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80"
                               "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf"),
            npos);
  EXPECT_EQ(first_invalid_utf8("ab\xff"), 2u);
  EXPECT_EQ(first_invalid_utf8("a\x80"), 1u);             // a lone continuation byte
  EXPECT_EQ(first_invalid_utf8("ab\xc0\xaf"), 2u);        // overlong '/'
  EXPECT_EQ(first_invalid_utf8("\xc1\xbf"), 0u);          // overlong
  EXPECT_EQ(first_invalid_utf8("x\xe0\x9f\xbf"), 1u);     // overlong 3-byte form
  EXPECT_EQ(first_invalid_utf8("xy\xed\xa0\x80"), 2u);    // a surrogate (U+D800)
  EXPECT_EQ(first_invalid_utf8("\xf0\x8f\xbf\xbf"), 0u);  // overlong 4-byte form
  EXPECT_EQ(first_invalid_utf8("\xf4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(first_invalid_utf8("\xf5\x80\x80\x80"), 0u);  // no lead byte above F4
  EXPECT_EQ(first_invalid_utf8("\xc3\xa9\xe2\x82"), 2u);  // cut short at the end
  EXPECT_EQ(first_invalid_utf8("\xe2\x82x"), 0u);         // broken by an ASCII byte
  EXPECT_EQ(first_invalid_utf8("\xf0\x9f\x98\xc3\xa9"), 0u);
}

TEST(Utf8, ReplacementSubstitutesEveryIllFormedByte) {
  const std::string r = "\xef\xbf\xbd";
  EXPECT_EQ(replace_invalid_utf8("plain \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "plain \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(replace_invalid_utf8("a\xff"
                                 "b"),
            "a" + r + "b");
  EXPECT_EQ(replace_invalid_utf8("\xc0\xaf"), r + r);                  // overlong '/'
  EXPECT_EQ(replace_invalid_utf8("\xed\xa0\x80"), r + r + r);          // a surrogate
  EXPECT_EQ(replace_invalid_utf8("\xf4\x90\x80\x80"), r + r + r + r);  // above U+10FFFF
  EXPECT_EQ(replace_invalid_utf8("\xe2\x82"), r + r);                  // truncated
  EXPECT_EQ(replace_invalid_utf8("x\xc3"), "x" + r);
  EXPECT_EQ(replace_invalid_utf8("\xe2\x82\xe2\x82\xac"), r + r + "\xe2\x82\xac");
  EXPECT_EQ(replace_invalid_utf8(""), "");
}

}  // namespace
}  // namespace predwatch::config
