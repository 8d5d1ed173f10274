// The request-target parsing of the HTTP API: percent escapes and query parameters.

#include "transport/url_query.hpp"

#include <gtest/gtest.h>

namespace switchyard::transport {
namespace {

TEST(UrlQuery, PercentEscapesDecodeAndMalformedOnesAreRefused) {
  EXPECT_EQ(percent_decode("chat%2F1"), "chat/1");
  EXPECT_EQ(percent_decode("a%3a%3Ab"), "a::b");
  EXPECT_EQ(percent_decode("plus+stays"), "plus+stays");
  EXPECT_EQ(percent_decode(""), "");
  EXPECT_EQ(percent_decode("%00"), std::string(1, '\0'));
  EXPECT_FALSE(percent_decode("%"));
  EXPECT_FALSE(percent_decode("%2"));
  EXPECT_FALSE(percent_decode("ab%"));
  EXPECT_FALSE(percent_decode("%zz"));
  EXPECT_FALSE(percent_decode("%2g"));
}

TEST(UrlQuery, QueryParamsKeepTheirOrderAndDecode) {
  using params = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(query_params("/x"), params{});
  EXPECT_EQ(query_params("/x?"), params{});
  EXPECT_EQ(query_params("/x?from_seq=2&limit=10"), (params{{"from_seq", "2"}, {"limit", "10"}}));
  EXPECT_EQ(query_params("/x?after=c%2F2&&flag"), (params{{"after", "c/2"}, {"flag", ""}}));
  EXPECT_EQ(query_params("/x?a=1=2"), (params{{"a", "1=2"}}));
  EXPECT_FALSE(query_params("/x?a=%g0"));
  EXPECT_FALSE(query_params("/x?%=1"));
}

} // namespace
} // namespace switchyard::transport
