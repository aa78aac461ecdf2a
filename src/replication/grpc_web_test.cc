// grpc_web_test.cc: gRPC-Web frames byte by byte, with the examples of
// research/replication.md §2.1.

#include "replication/grpc_web.h"

#include <gtest/gtest.h>

namespace libsql::replication::grpc_web {
namespace {

using namespace std::string_literals;

// Copies: the views parse_messages() returns point into `body`, which callers pass as
// a temporary.
std::vector<std::string> messages_of(std::string_view body) {
  auto parsed = parse_messages(body, 1 << 20);
  const auto* messages = std::get_if<std::vector<std::string_view>>(&parsed);
  EXPECT_NE(messages, nullptr) << "refused: " << std::get<Status>(parsed).message;
  if (messages == nullptr) return {};
  return {messages->begin(), messages->end()};
}

Status refusal_of(std::string_view body, std::size_t limit = 1 << 20) {
  auto parsed = parse_messages(body, limit);
  const auto* status = std::get_if<Status>(&parsed);
  EXPECT_NE(status, nullptr) << "a malformed body was accepted";
  return status ? *status : Status{};
}

TEST(GrpcWeb, ParsesTheHelloRequestOfTheResearchExample) {
  const auto messages = messages_of("\x00\x00\x00\x00\x02\x08\x01"s);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0], "\x08\x01") << "HelloRequest{handshake_version: 1}";
}

TEST(GrpcWeb, AnEmptyMessageIsAFrameOfLengthZero) {
  const auto messages = messages_of("\x00\x00\x00\x00\x00"s);
  ASSERT_EQ(messages.size(), 1u) << "LogOffset{next_offset: 0} encodes to no bytes";
  EXPECT_TRUE(messages[0].empty());
}

TEST(GrpcWeb, ParsesSeveralMessagesInOrder) {
  std::string body;
  append_message(body, "one");
  append_message(body, "");
  append_message(body, std::string(70000, 'x'));
  const auto messages = messages_of(body);
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0], "one");
  EXPECT_EQ(messages[1], "");
  EXPECT_EQ(messages[2].size(), 70000u) << "lengths above 16 bits are big-endian";
}

TEST(GrpcWeb, RefusesCompressedMessages) {
  const Status status = refusal_of("\x01\x00\x00\x00\x01x"s);
  EXPECT_EQ(status.code, StatusCode::kUnimplemented) << status.message;
  EXPECT_NE(status.message.find("compressed"), std::string::npos) << status.message;
}

TEST(GrpcWeb, RefusesATruncatedHeaderOrMessage) {
  EXPECT_EQ(refusal_of("\x00\x00\x00"s).code, StatusCode::kInternal) << "3 of 5 header bytes";
  const Status status = refusal_of("\x00\x00\x00\x00\x04xy"s);
  EXPECT_EQ(status.code, StatusCode::kInternal);
  EXPECT_NE(status.message.find("2 of 4 bytes"), std::string::npos) << status.message;
}

TEST(GrpcWeb, RefusesAMessageOverTheLimitBeforeReadingIt) {
  const Status status = refusal_of("\x00\x7f\xff\xff\xff"s, 1024);
  EXPECT_EQ(status.code, StatusCode::kResourceExhausted) << status.message;
}

TEST(GrpcWeb, RefusesTrailersInARequest) {
  EXPECT_EQ(refusal_of("\x80\x00\x00\x00\x00"s).code, StatusCode::kInternal);
}

TEST(GrpcWeb, AUnaryCallNeedsExactlyOneMessage) {
  auto none = parse_unary("", 1024);
  ASSERT_TRUE(std::holds_alternative<Status>(none));
  EXPECT_EQ(std::get<Status>(none).code, StatusCode::kInternal);
  std::string two;
  append_message(two, "a");
  append_message(two, "b");
  EXPECT_TRUE(std::holds_alternative<Status>(parse_unary(two, 1024)));
  std::string one;
  append_message(one, "a");
  EXPECT_EQ(std::get<std::string_view>(parse_unary(one, 1024)), "a");
}

TEST(GrpcWeb, EncodesAMessageFrame) {
  std::string out;
  append_message(out, "\x08\x01");
  EXPECT_EQ(out, "\x00\x00\x00\x00\x02\x08\x01"s);
}

TEST(GrpcWeb, EncodesTheOkTrailersAsTheResearchExample) {
  std::string out;
  append_trailers(out, {});
  EXPECT_EQ(out, "\x80\x00\x00\x00\x0fgrpc-status:0\r\n"s)
      << "no space after the colon, and no grpc-message when there is none";
}

TEST(GrpcWeb, EncodesAnErrorTrailerWithItsMessage) {
  std::string out;
  append_trailers(out, {StatusCode::kFailedPrecondition, "NEED_SNAPSHOT"});
  const std::string text = "grpc-status:9\r\ngrpc-message:NEED_SNAPSHOT\r\n";
  EXPECT_EQ(out.substr(5), text);
  EXPECT_EQ(out[0], '\x80');
  EXPECT_EQ(static_cast<unsigned char>(out[4]), text.size());
}

TEST(GrpcWeb, PercentEncodesWhatIsNotPrintableAsciiAndThePercentSign) {
  EXPECT_EQ(percent_encode("no such table: t"), "no such table: t");
  EXPECT_EQ(percent_encode("100%\r\n"), "100%25%0D%0A");
  EXPECT_EQ(percent_encode("\xc3\xa9"), "%C3%A9") << "UTF-8 bytes are escaped one by one";
  EXPECT_EQ(percent_decode(percent_encode("ça 100% \x01")), "ça 100% \x01");
  EXPECT_EQ(percent_decode("%zz%4"), "%zz%4") << "malformed escapes stay as they are";
}

TEST(GrpcWeb, NamesStatusCodes) {
  EXPECT_EQ(to_string(StatusCode::kFailedPrecondition), "FAILED_PRECONDITION");
  EXPECT_EQ(static_cast<int>(StatusCode::kUnauthenticated), 16);
}

}  // namespace
}  // namespace libsql::replication::grpc_web
