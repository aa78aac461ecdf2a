// frame_format.cc: frame headers, the chained CRC-64 of frames, and log ids.
// The checksum is on the path of every captured page and every first sync, so it is
// table-driven, eight bytes per step (slicing-by-8). Must not do I/O.

#include "replication/frame_format.h"

#include <sys/random.h>

#include <cerrno>
#include <random>

namespace libsql::replication {

namespace {

// CRC-64/GO-ISO: polynomial x^64 + x^4 + x^3 + x + 1 (0x1B), processed reflected.
constexpr std::uint64_t kReflectedPolynomial = 0xD800000000000000ULL;

using CrcTables = std::array<std::array<std::uint64_t, 256>, 8>;

// tables[0] is the classic byte table; tables[k][b] is the register after byte b is
// followed by k zero bytes, which lets one step fold in eight bytes at once.
constexpr CrcTables make_crc_tables() {
  CrcTables tables{};
  for (std::uint64_t byte = 0; byte < 256; ++byte) {
    std::uint64_t reg = byte;
    for (int bit = 0; bit < 8; ++bit)
      reg = (reg & 1) ? (reg >> 1) ^ kReflectedPolynomial : reg >> 1;
    tables[0][byte] = reg;
  }
  for (std::size_t k = 1; k < 8; ++k) {
    for (std::size_t byte = 0; byte < 256; ++byte) {
      const std::uint64_t previous = tables[k - 1][byte];
      tables[k][byte] = (previous >> 8) ^ tables[0][previous & 0xFF];
    }
  }
  return tables;
}

constexpr CrcTables kCrcTables = make_crc_tables();

constexpr std::uint64_t bit_reverse64(std::uint64_t value) {
  std::uint64_t reversed = 0;
  for (int i = 0; i < 64; ++i) {
    reversed = (reversed << 1) | (value & 1);
    value >>= 1;
  }
  return reversed;
}

std::uint64_t crc64_update(std::uint64_t reg, const std::uint8_t* data, std::size_t size) {
  const auto& t = kCrcTables;
  while (size >= 8) {
    reg ^= internal::load_le64(data);
    reg = t[7][reg & 0xFF] ^ t[6][(reg >> 8) & 0xFF] ^ t[5][(reg >> 16) & 0xFF] ^
          t[4][(reg >> 24) & 0xFF] ^ t[3][(reg >> 32) & 0xFF] ^ t[2][(reg >> 40) & 0xFF] ^
          t[1][(reg >> 48) & 0xFF] ^ t[0][reg >> 56];
    data += 8;
    size -= 8;
  }
  while (size-- > 0) reg = (reg >> 8) ^ t[0][(reg ^ *data++) & 0xFF];
  return reg;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_hyphen_position(std::size_t i) { return i == 8 || i == 13 || i == 18 || i == 23; }

}  // namespace

namespace internal {

std::uint64_t crc64_go_iso(std::uint64_t previous, const std::uint8_t* data,
                           std::size_t size) noexcept {
  // sqld chains through the crc crate's digest_with_initial(previous), which for a
  // reflected algorithm seeds the register with the bit-reversed value.
  return crc64_update(bit_reverse64(previous), data, size) ^ ~std::uint64_t{0};
}

}  // namespace internal

void encode_frame_header(const FrameHeader& header, std::uint8_t* out) noexcept {
  internal::store_le64(header.frame_no, out);
  internal::store_le64(header.checksum, out + 8);
  internal::store_le32(header.page_no, out + 16);
  internal::store_le32(header.size_after, out + 20);
}

FrameHeader decode_frame_header(const std::uint8_t* in) noexcept {
  FrameHeader header;
  header.frame_no = internal::load_le64(in);
  header.checksum = internal::load_le64(in + 8);
  header.page_no = internal::load_le32(in + 16);
  header.size_after = internal::load_le32(in + 20);
  return header;
}

std::uint64_t frame_checksum(std::uint64_t previous, const std::uint8_t* page) noexcept {
  return internal::crc64_go_iso(previous, page, kPageSize);
}

LogId LogId::random() {
  LogId id;
  std::size_t filled = 0;
  while (filled < id.bytes.size()) {
    const ssize_t got = getrandom(id.bytes.data() + filled, id.bytes.size() - filled, 0);
    if (got > 0) {
      filled += static_cast<std::size_t>(got);
    } else if (got < 0 && errno != EINTR) {
      break;  // no getrandom (old kernel or sandbox): fall back below
    }
  }
  if (filled < id.bytes.size()) {
    std::random_device device;
    for (auto& byte : id.bytes) byte = static_cast<std::uint8_t>(device());
  }
  id.bytes[6] = static_cast<std::uint8_t>((id.bytes[6] & 0x0F) | 0x40);  // version 4
  id.bytes[8] = static_cast<std::uint8_t>((id.bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  return id;
}

std::optional<LogId> LogId::parse(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  LogId id;
  std::size_t nibble = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (is_hyphen_position(i)) {
      if (text[i] != '-') return std::nullopt;
      continue;
    }
    const int value = hex_value(text[i]);
    if (value < 0) return std::nullopt;
    auto& byte = id.bytes[nibble / 2];
    byte = static_cast<std::uint8_t>(nibble % 2 == 0 ? value << 4 : byte | value);
    ++nibble;
  }
  return id;
}

std::string LogId::to_string() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(36);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text.push_back('-');
    text.push_back(kDigits[bytes[i] >> 4]);
    text.push_back(kDigits[bytes[i] & 0x0F]);
  }
  return text;
}

}  // namespace libsql::replication
