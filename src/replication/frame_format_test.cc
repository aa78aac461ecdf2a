// frame_format_test.cc: the frame header, the chained CRC-64, log ids, and the byte
// layouts of the wallog and snapshot headers. Must not touch the file system.

#include "replication/frame_format.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "replication/log_format.h"
#include "replication/snapshot_format.h"

namespace libsql::replication {
namespace {

// The textbook bit-at-a-time reflected CRC, for comparison with the table-driven one.
std::uint64_t reference_crc(std::uint64_t reg, const std::uint8_t* data, std::size_t size) {
  for (std::size_t i = 0; i < size; ++i) {
    reg ^= data[i];
    for (int bit = 0; bit < 8; ++bit)
      reg = (reg & 1) ? (reg >> 1) ^ 0xD800000000000000ULL : reg >> 1;
  }
  return reg;
}

std::uint64_t bit_reverse(std::uint64_t value) {
  std::uint64_t reversed = 0;
  for (int i = 0; i < 64; ++i, value >>= 1) reversed = (reversed << 1) | (value & 1);
  return reversed;
}

std::vector<std::uint8_t> random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::vector<std::uint8_t> bytes(size);
  for (auto& byte : bytes) byte = static_cast<std::uint8_t>(random());
  return bytes;
}

TEST(FrameFormat, HeaderIsTwentyFourLittleEndianBytes) {
  FrameHeader header;
  header.frame_no = 0x0102030405060708ULL;
  header.checksum = 0x1112131415161718ULL;
  header.page_no = 0x21222324;
  header.size_after = 0x31323334;
  std::uint8_t bytes[kFrameHeaderSize];
  encode_frame_header(header, bytes);
  const std::uint8_t expected[kFrameHeaderSize] = {0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
                                                   0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11,
                                                   0x24, 0x23, 0x22, 0x21, 0x34, 0x33, 0x32, 0x31};
  EXPECT_EQ(0, std::memcmp(bytes, expected, sizeof bytes)) << "header bytes are not little-endian";
  const FrameHeader decoded = decode_frame_header(bytes);
  EXPECT_EQ(decoded.frame_no, header.frame_no);
  EXPECT_EQ(decoded.checksum, header.checksum);
  EXPECT_EQ(decoded.page_no, header.page_no);
  EXPECT_EQ(decoded.size_after, header.size_after);
  EXPECT_EQ(kFrameSize, 4120u);
}

TEST(FrameFormat, CommitIsAFrameWithADatabaseSize) {
  FrameHeader header;
  EXPECT_FALSE(header.is_commit());
  header.size_after = 3;
  EXPECT_TRUE(header.is_commit());
}

TEST(FrameFormat, CrcOfCheckStringIsTheGoIsoCheckValue) {
  const std::string check = "123456789";
  EXPECT_EQ(
      internal::crc64_go_iso(~std::uint64_t{0}, reinterpret_cast<const std::uint8_t*>(check.data()),
                             check.size()),
      0xb90956c775a41001ULL);
}

TEST(FrameFormat, TableDrivenCrcMatchesBitwiseReferenceAtEveryLengthAndSeed) {
  const auto bytes = random_bytes(200, 7);
  for (std::uint64_t previous : {0ULL, ~0ULL, 0x0123456789abcdefULL}) {
    for (std::size_t size = 0; size <= bytes.size(); ++size) {
      const std::uint64_t expected =
          reference_crc(bit_reverse(previous), bytes.data(), size) ^ ~std::uint64_t{0};
      ASSERT_EQ(internal::crc64_go_iso(previous, bytes.data(), size), expected)
          << "length " << size << ", previous " << previous;
    }
  }
}

TEST(FrameFormat, FrameChecksumSumsOnlyThePageChainedFromPrevious) {
  const auto page = random_bytes(kPageSize, 1);
  EXPECT_EQ(frame_checksum(0, page.data()), internal::crc64_go_iso(0, page.data(), kPageSize));
  EXPECT_EQ(frame_checksum(42, page.data()), internal::crc64_go_iso(42, page.data(), kPageSize));
  EXPECT_NE(frame_checksum(0, page.data()), frame_checksum(1, page.data()))
      << "the checksum must depend on the previous frame's";
}

TEST(FrameFormat, ChainingContinuesOneCrcAcrossConsecutiveBuffers) {
  // sqld seeds the register with bit_reverse64(previous): handing on
  // bit_reverse64(~crc(A)) continues the register exactly where A left it.
  const auto a = random_bytes(kPageSize, 2);
  const auto b = random_bytes(kPageSize, 3);
  std::vector<std::uint8_t> both(a);
  both.insert(both.end(), b.begin(), b.end());
  const std::uint64_t whole = internal::crc64_go_iso(~0ULL, both.data(), both.size());
  const std::uint64_t first = internal::crc64_go_iso(~0ULL, a.data(), a.size());
  EXPECT_EQ(frame_checksum(bit_reverse(~first), b.data()), whole);
}

TEST(FrameFormat, ChecksumOfFiftyMegabytesIsFarFromCpuBound) {
  // Not a timing assertion: prints the rate for whoever reads the log.
  const auto page = random_bytes(kPageSize, 4);
  const int pages = 50 * 1000 * 1000 / static_cast<int>(kPageSize);
  const auto begin = std::chrono::steady_clock::now();
  std::uint64_t checksum = 0;
  for (int i = 0; i < pages; ++i) checksum = frame_checksum(checksum, page.data());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  std::printf("frame_checksum: 50 MB in %.1f ms (%.0f MB/s), last %016llx\n", seconds * 1e3,
              50.0 / seconds, static_cast<unsigned long long>(checksum));
  EXPECT_NE(checksum, 0u);
}

TEST(LogId, RandomIdsAreVersionFourAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const LogId id = LogId::random();
    EXPECT_EQ(id.bytes[6] >> 4, 4) << "version nibble of " << id.to_string();
    EXPECT_EQ(id.bytes[8] >> 6, 2) << "variant bits of " << id.to_string();
    seen.insert(id.to_string());
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(LogId, PrintsAndParsesHyphenatedLowerCase) {
  const auto id = LogId::parse("6BA7B810-9dad-11d1-80b4-00c04fd430c8");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->bytes[0], 0x6b);
  EXPECT_EQ(id->bytes[15], 0xc8);
  EXPECT_EQ(id->to_string(), "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
  const LogId random = LogId::random();
  EXPECT_EQ(LogId::parse(random.to_string()), random);
}

TEST(LogId, RejectsMalformedText) {
  EXPECT_FALSE(LogId::parse(""));
  EXPECT_FALSE(LogId::parse("6ba7b810-9dad-11d1-80b4-00c04fd430c"));    // short
  EXPECT_FALSE(LogId::parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8a"));  // long
  EXPECT_FALSE(LogId::parse("6ba7b810x9dad-11d1-80b4-00c04fd430c8"));   // no hyphen
  EXPECT_FALSE(LogId::parse("6ba7b810-9dad-11d1-80b4-00c04fd430cg"));   // not hex
  EXPECT_FALSE(LogId::parse("6ba7b8109dad11d180b400c04fd430c8"));       // not hyphenated
}

TEST(FrameLogHeader, IsSixtyFourBytesWithMagicReversedIdAndVersionTwo) {
  LogHeader header;
  header.start_checksum = 0x1122334455667788ULL;
  header.log_id = *LogId::parse("00010203-0405-0607-0809-0a0b0c0d0e0f");
  header.start_frame_no = 5;
  header.frame_count = 9;
  std::uint8_t bytes[kLogHeaderSize];
  encode_log_header(header, bytes);
  EXPECT_EQ(0, std::memcmp(bytes, "SQLDWAL\0", 8));
  EXPECT_EQ(bytes[8], 0x88);
  EXPECT_EQ(bytes[16], 0x0f) << "the log id is a little-endian u128: its bytes reversed";
  EXPECT_EQ(bytes[31], 0x00);
  EXPECT_EQ(bytes[32], 5);
  EXPECT_EQ(bytes[40], 9);
  EXPECT_EQ(bytes[48], 2);
  EXPECT_EQ(bytes[52] | (bytes[53] << 8), 4096);
  EXPECT_EQ(bytes[58] | (bytes[59] << 8), kLogSqldVersion[1]);
  const LogHeader decoded = decode_log_header(bytes);
  EXPECT_EQ(decoded.log_id, header.log_id);
  EXPECT_EQ(decoded.start_checksum, header.start_checksum);
  EXPECT_EQ(decoded.start_frame_no, 5u);
  EXPECT_EQ(decoded.frame_count, 9u);
  EXPECT_EQ(decoded.version, 2u);
  EXPECT_EQ(decoded.page_size, 4096);
  EXPECT_EQ(decoded.sqld_version, kLogSqldVersion);
  EXPECT_EQ(log_frame_offset(2), 64u + 2 * 4120u);
}

TEST(SnapshotFormat, HeaderIsFortyEightBytesWithReversedId) {
  SnapshotHeader header;
  header.log_id = *LogId::parse("00010203-0405-0607-0809-0a0b0c0d0e0f");
  header.start_frame_no = 0;
  header.end_frame_no = 1;
  header.frame_count = 2;
  header.size_after = 2;
  std::uint8_t bytes[kSnapshotHeaderSize];
  std::memset(bytes, 0xff, sizeof bytes);
  encode_snapshot_header(header, bytes);
  EXPECT_EQ(bytes[0], 0x0f);
  EXPECT_EQ(bytes[24], 1);
  EXPECT_EQ(bytes[32], 2);
  EXPECT_EQ(bytes[40], 2);
  EXPECT_EQ(bytes[44] | bytes[45] | bytes[46] | bytes[47], 0) << "padding is zero";
  const SnapshotHeader decoded = decode_snapshot_header(bytes);
  EXPECT_EQ(decoded.log_id, header.log_id);
  EXPECT_EQ(decoded.end_frame_no, 1u);
  EXPECT_EQ(decoded.frame_count, 2u);
  EXPECT_EQ(decoded.size_after, 2u);
}

TEST(SnapshotFormat, FileNameCarriesLogIdAndRange) {
  const LogId id = LogId::random();
  const std::string name = snapshot_file_name(id, 10, 2000);
  EXPECT_EQ(name, id.to_string() + "-10-2000.snap");
  const auto parsed = parse_snapshot_file_name(name);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->log_id, id);
  EXPECT_EQ(parsed->start_frame_no, 10u);
  EXPECT_EQ(parsed->end_frame_no, 2000u);
}

TEST(SnapshotFormat, RejectsOtherFileNames) {
  const std::string id = LogId::random().to_string();
  EXPECT_FALSE(parse_snapshot_file_name(id + "-10-2000.tmp"));
  EXPECT_FALSE(parse_snapshot_file_name(id + "-10.snap"));
  EXPECT_FALSE(parse_snapshot_file_name(id + "-10-x.snap"));
  EXPECT_FALSE(parse_snapshot_file_name(id + "-20-10.snap"));
  EXPECT_FALSE(parse_snapshot_file_name("wallog"));
}

}  // namespace
}  // namespace libsql::replication
