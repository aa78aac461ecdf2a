// bincode_value.cc: implements bincode_value.h.

#include "replication/bincode_value.h"

#include <bit>
#include <cstdint>

namespace libsql::replication {

namespace {

enum Variant : std::uint32_t { kNull = 0, kInteger = 1, kReal = 2, kText = 3, kBlob = 4 };

void append_le(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::uint64_t load_le(std::string_view data, std::size_t offset, int bytes) {
  std::uint64_t value = 0;
  for (int i = bytes - 1; i >= 0; --i) {
    value = (value << 8) | static_cast<unsigned char>(data[offset + static_cast<std::size_t>(i)]);
  }
  return value;
}

// Whether `text` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF), as
// Rust's String requires.
bool is_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    int extra;
    std::uint32_t code;
    std::uint32_t minimum;
    if ((lead & 0xe0) == 0xc0) {
      extra = 1, code = lead & 0x1f, minimum = 0x80;
    } else if ((lead & 0xf0) == 0xe0) {
      extra = 2, code = lead & 0x0f, minimum = 0x800;
    } else if ((lead & 0xf8) == 0xf0) {
      extra = 3, code = lead & 0x07, minimum = 0x10000;
    } else {
      return false;
    }
    if (text.size() - i <= static_cast<std::size_t>(extra)) return false;
    for (int k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]);
      if ((next & 0xc0) != 0x80) return false;
      code = code << 6 | (next & 0x3f);
    }
    if (code < minimum || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    i += static_cast<std::size_t>(extra) + 1;
  }
  return true;
}

std::optional<Value> fail(std::string* error, std::string why) {
  if (error != nullptr) *error = std::move(why);
  return std::nullopt;
}

}  // namespace

void append_bincode(ValueView value, std::string& out) {
  switch (value.type()) {
    case ValueType::kNull:
      append_le(out, kNull, 4);
      break;
    case ValueType::kInteger:
      append_le(out, kInteger, 4);
      append_le(out, static_cast<std::uint64_t>(value.integer_value()), 8);
      break;
    case ValueType::kReal:
      append_le(out, kReal, 4);
      append_le(out, std::bit_cast<std::uint64_t>(value.real_value()), 8);
      break;
    case ValueType::kText:
      append_le(out, kText, 4);
      append_le(out, value.text_value().size(), 8);
      out.append(value.text_value());
      break;
    case ValueType::kBlob: {
      const auto blob = value.blob_value();
      append_le(out, kBlob, 4);
      append_le(out, blob.size(), 8);
      out.append(reinterpret_cast<const char*>(blob.data()), blob.size());
      break;
    }
  }
}

std::string encode_bincode(ValueView value) {
  std::string out;
  append_bincode(value, out);
  return out;
}

std::optional<Value> decode_bincode(std::string_view data, std::string* error) {
  if (data.size() < 4) {
    return fail(error,
                "a bincode value needs 4 bytes of variant, got " + std::to_string(data.size()));
  }
  const auto variant = static_cast<std::uint32_t>(load_le(data, 0, 4));
  const std::size_t rest = data.size() - 4;
  switch (variant) {
    case kNull:
      return Value();
    case kInteger:
    case kReal: {
      if (rest < 8) {
        return fail(error, "a bincode number needs 8 bytes, got " + std::to_string(rest));
      }
      const std::uint64_t bits = load_le(data, 4, 8);
      if (variant == kInteger) return Value(static_cast<std::int64_t>(bits));
      return Value(std::bit_cast<double>(bits));
    }
    case kText:
    case kBlob: {
      if (rest < 8) {
        return fail(error, "a bincode length needs 8 bytes, got " + std::to_string(rest));
      }
      const std::uint64_t length = load_le(data, 4, 8);
      if (length > rest - 8) {
        return fail(error, "a bincode value of " + std::to_string(length) + " bytes has only " +
                               std::to_string(rest - 8));
      }
      const std::string_view bytes = data.substr(12, static_cast<std::size_t>(length));
      if (variant == kBlob) return Value(Blob(bytes.begin(), bytes.end()));
      if (!is_utf8(bytes)) return fail(error, "bincode text is not valid UTF-8");
      return Value(std::string(bytes));
    }
    default:
      return fail(error,
                  "unknown bincode value variant " + std::to_string(variant) + ", expected 0 to 4");
  }
}

}  // namespace libsql::replication
