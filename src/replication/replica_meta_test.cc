// replica_meta_test.cc: the replica meta file holds libSQL's exact 32 bytes, reads back
// what was written after a reopen, and reports a file of the wrong size clearly.

#include "replication/replica_meta.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "libsql/error.h"
#include "tests/support/temp_dir.h"

namespace libsql::replication {
namespace {

namespace fs = std::filesystem;

// 6ba7b810-9dad-11d1-80b4-00c04fd430c8, in RFC 4122 order.
LogId example_log_id() {
  return LogId{{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4,
                0x30, 0xc8}};
}

std::vector<std::uint8_t> file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void write_file(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

TEST(ReplicaMeta, StoresTheLogIdAsALittleEndianU128AndTheFrameNoLittleEndian) {
  const auto bytes = encode_replica_meta({example_log_id(), 0x0102030405060708u});
  const std::array<std::uint8_t, kReplicaMetaSize> expected = {
      // Uuid::as_u128() of the id, little-endian: its bytes reversed.
      0xc8, 0x30, 0xd4, 0x4f, 0xc0, 0x00, 0xb4, 0x80, 0xd1, 0x11, 0xad, 0x9d,
      0x10, 0xb8, 0xa7, 0x6b, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,  // committed_frame_no
      0,    0,    0,    0,    0,    0,    0,    0};                            // padding
  EXPECT_EQ(bytes, expected);
}

TEST(ReplicaMeta, NothingCommittedIsStoredAsU64Max) {
  const auto bytes = encode_replica_meta({example_log_id(), std::nullopt});
  for (std::size_t i = 16; i < 24; ++i) EXPECT_EQ(bytes[i], 0xff) << "byte " << i;
  EXPECT_EQ(decode_replica_meta(bytes).committed_frame_no, std::nullopt);
}

TEST(ReplicaMeta, DecodesWhatItEncodes) {
  for (const std::optional<std::uint64_t> frame_no :
       {std::optional<std::uint64_t>(0), std::optional<std::uint64_t>(1),
        std::optional<std::uint64_t>(0xfffffffffffffffeu), std::optional<std::uint64_t>()}) {
    const ReplicaProgress progress{example_log_id(), frame_no};
    EXPECT_EQ(decode_replica_meta(encode_replica_meta(progress)), progress);
  }
}

class ReplicaMetaFileTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  fs::path path_ = dir_.file(std::string("replica.db") + kReplicaMetaSuffix);
};

TEST_F(ReplicaMetaFileTest, NewFileIsEmptyAndRecordsNothing) {
  auto meta = ReplicaMetaFile::open(path_);
  EXPECT_EQ(meta.read(), std::nullopt);
  EXPECT_TRUE(fs::exists(path_));
  EXPECT_EQ(fs::file_size(path_), 0u);
}

TEST_F(ReplicaMetaFileTest, RewritesInPlaceAndReadsBackAfterReopening) {
  {
    auto meta = ReplicaMetaFile::open(path_);
    meta.write({example_log_id(), std::nullopt});
    meta.write({example_log_id(), 7});
    meta.write({example_log_id(), 12});
    EXPECT_EQ(meta.read(), (ReplicaProgress{example_log_id(), 12}));
  }
  EXPECT_EQ(fs::file_size(path_), kReplicaMetaSize);
  auto meta = ReplicaMetaFile::open(path_);
  EXPECT_EQ(meta.read(), (ReplicaProgress{example_log_id(), 12}));
  const auto expected = encode_replica_meta({example_log_id(), 12});
  EXPECT_EQ(file_bytes(path_), std::vector<std::uint8_t>(expected.begin(), expected.end()));
}

TEST_F(ReplicaMetaFileTest, ReadsAFileWrittenByLibsql) {
  // The bytes libSQL replicas write for that log id after frame 41 (research §3.5).
  write_file(path_, {0xc8, 0x30, 0xd4, 0x4f, 0xc0, 0x00, 0xb4, 0x80, 0xd1, 0x11, 0xad,
                     0x9d, 0x10, 0xb8, 0xa7, 0x6b, 41,   0,    0,    0,    0,    0,
                     0,    0,    0,    0,    0,    0,    0,    0,    0,    0});
  auto meta = ReplicaMetaFile::open(path_);
  EXPECT_EQ(meta.read(), (ReplicaProgress{example_log_id(), 41}));
}

TEST_F(ReplicaMetaFileTest, FileOfAnotherSizeIsCorrupt) {
  for (const std::size_t size : {std::size_t{17}, std::size_t{31}, std::size_t{40}}) {
    write_file(path_, std::vector<std::uint8_t>(size, 1));
    auto meta = ReplicaMetaFile::open(path_);
    try {
      meta.read();
      ADD_FAILURE() << "a " << size << "-byte file was read";
    } catch (const Error& e) {
      EXPECT_EQ(e.primary_code(), PrimaryCode::kCorrupt) << e.what();
      EXPECT_NE(std::string(e.what()).find(std::to_string(size) + " bytes"), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find(path_.string()), std::string::npos) << e.what();
    }
  }
}

TEST_F(ReplicaMetaFileTest, WritingRepairsAFileOfTheWrongSize) {
  write_file(path_, std::vector<std::uint8_t>(40, 1));
  auto meta = ReplicaMetaFile::open(path_);
  meta.write({example_log_id(), 3});
  EXPECT_EQ(fs::file_size(path_), kReplicaMetaSize);
  EXPECT_EQ(meta.read(), (ReplicaProgress{example_log_id(), 3}));
}

TEST_F(ReplicaMetaFileTest, MissingDirectoryCannotOpen) {
  try {
    ReplicaMetaFile::open(dir_.path() / "missing" / "meta");
    ADD_FAILURE() << "a file in a missing directory was opened";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary_code(), PrimaryCode::kCantOpen) << e.what();
  }
}

}  // namespace
}  // namespace libsql::replication
