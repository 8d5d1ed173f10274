// Tenant and user names in log lines: any characters may be in them (they come from
// tokens), none may forge a field or a line.

#include "actors/log.hpp"

#include <gtest/gtest.h>

namespace switchyard::actors {
namespace {

TEST(LogName, PlainNamesStayAsTheyAre) {
  EXPECT_EQ(log_name("acme"), "acme");
  EXPECT_EQ(log_name("a-b_c.d:e/f@g+h"), "a-b_c.d:e/f@g+h");
}

TEST(LogName, OtherNamesAreQuotedWithEscapes) {
  EXPECT_EQ(log_name(""), "\"\"");
  EXPECT_EQ(log_name("acme topic=x"), "\"acme topic=x\"");
  EXPECT_EQ(log_name("a\nb"), "\"a\\x0ab\"");
  EXPECT_EQ(log_name("say \"hi\" \\"), "\"say \\\"hi\\\" \\\\\"");
  EXPECT_EQ(log_name(std::string("n\0l", 3)), "\"n\\x00l\"");
  EXPECT_EQ(log_name("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
}

} // namespace
} // namespace switchyard::actors
